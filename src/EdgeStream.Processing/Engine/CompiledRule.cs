using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using EdgeStream.Processing.Aggregates;
using EdgeStream.Processing.Expressions;
using EdgeStream.Processing.Json;
using EdgeStream.Processing.Options;

namespace EdgeStream.Processing.Engine;

/// <summary>The window types.</summary>
internal enum WindowType
{
    None,
    Tumbling,
    Hopping,
    Session,
    Count,
    Sliding,
}

/// <summary>Late policies.</summary>
internal enum LatePolicy
{
    Drop,
    SideTopic,
    Revise,
}

/// <summary>
/// A validated rule turned into what the evaluator runs: field slots, compiled expressions, aggregate specs and times in
/// milliseconds, plus a fingerprint of the definition that snapshots carry. Built once per rule; immutable except for the
/// field extractor, which belongs to the one evaluator built from it.
/// </summary>
internal sealed class CompiledRule
{
    private CompiledRule(RuleOptions options)
    {
        Options = options;
    }

    public RuleOptions Options { get; }

    public string Id => Options.Id;

    public byte[] Fingerprint { get; private set; } = [];

    public FieldExtractor Fields { get; } = new();

    public int TimeSlot { get; private set; } = -1;

    public int[] GroupSlots { get; private set; } = [];

    public string[] GroupNames { get; private set; } = [];

    public ExprNode? Where { get; private set; }

    public string[] MapNames { get; private set; } = [];

    public ExprNode[] MapExprs { get; private set; } = [];

    public string[] SelectNames { get; private set; } = [];

    public int[] SelectSlots { get; private set; } = [];

    public int[] DeadbandSlots { get; private set; } = [];

    public double[] DeadbandThresholds { get; private set; } = [];

    public long HeartbeatMs { get; private set; }

    public ExprNode? AlertValue { get; private set; }

    public bool AlertAbove { get; private set; }

    public long AlertForMs { get; private set; }

    public WindowType Window { get; private set; }

    public long SizeMs { get; private set; }

    public long HopMs { get; private set; }

    public long GapMs { get; private set; }

    public long MaxDurationMs { get; private set; }

    public int CountPerWindow { get; private set; }

    public long OffsetMs { get; private set; }

    public string[] AggregateNames { get; private set; } = [];

    public AggregateSpec[] Aggregates { get; private set; } = [];

    public int[] AggregateSlots { get; private set; } = [];

    public long LatenessMs { get; private set; }

    public long ReviseHorizonMs { get; private set; }

    public long MaxFutureSkewMs { get; private set; }

    public bool FutureSkewToSide { get; private set; }

    public LatePolicy Late { get; private set; }

    public TimeSpan IdleTimeout { get; private set; }

    public string? ToTopic => Options.To?.Topic;

    public string? SideTopic => Options.Time.SideTopic;

    public string? AlertTopic => Options.Alert?.Topic;

    /// <summary>Compiles a rule; throws <see cref="ArgumentException"/> listing every error (keys under
    /// <c>Processing:Rules:&lt;id&gt;</c>) when it is invalid.</summary>
    public static CompiledRule Compile(RuleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string path = $"{ProcessingOptions.SectionName}:Rules:{options.Id}";
        var errors = ProcessingOptionsValidation.ValidateRule(options, path);
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Rule '{options.Id}' is invalid: {string.Join(" ", errors)}", nameof(options));
        }
        var c = new CompiledRule(options);
        c.Build();
        return c;
    }

    private void Build()
    {
        var o = Options;
        var f = Fields;
        if (o.Time.Field is { } tf)
        {
            TimeSlot = f.Register(tf);
        }
        GroupSlots = o.GroupBy.Select(f.Register).ToArray();
        var names = new List<string>();
        foreach (var g in o.GroupBy)
        {
            string n = JsonPointer.LastToken(g);
            names.Add(names.Contains(n) ? g : n);
        }
        GroupNames = [.. names];
        if (o.Where is { } where)
        {
            Where = RuleExpression.Compile(where, f);
        }
        SelectNames = o.Select.Select(JsonPointer.LastToken).ToArray();
        SelectSlots = o.Select.Select(f.Register).ToArray();
        var map = o.Map.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray();
        MapNames = map.Select(kv => kv.Key).ToArray();
        MapExprs = map.Select(kv => RuleExpression.Compile(kv.Value, f)).ToArray();
        if (o.Deadband is { } d)
        {
            var fields = d.Fields.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray();
            DeadbandSlots = fields.Select(kv => f.Register(kv.Key)).ToArray();
            DeadbandThresholds = fields.Select(kv => kv.Value).ToArray();
            HeartbeatMs = (long)d.Heartbeat.TotalMilliseconds;
        }
        if (o.Alert is { } a)
        {
            AlertValue = RuleExpression.Compile(a.Value, f);
            AlertAbove = string.Equals(a.Direction, "above", StringComparison.OrdinalIgnoreCase);
            AlertForMs = (long)a.For.TotalMilliseconds;
        }
        if (o.Window is { } w)
        {
            Window = w.Type.ToLowerInvariant() switch
            {
                "tumbling" => WindowType.Tumbling,
                "hopping" => WindowType.Hopping,
                "session" => WindowType.Session,
                "count" => WindowType.Count,
                _ => WindowType.Sliding,
            };
            SizeMs = (long)w.Size.TotalMilliseconds;
            HopMs = (long)w.Hop.TotalMilliseconds;
            GapMs = (long)w.Gap.TotalMilliseconds;
            MaxDurationMs = (long)w.MaxDuration.TotalMilliseconds;
            CountPerWindow = w.Count;
            OffsetMs = (long)w.Offset.TotalMilliseconds;
            var aggs = o.Aggregate.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray();
            AggregateNames = aggs.Select(kv => kv.Key).ToArray();
            Aggregates = aggs.Select(kv => AggregateSpec.TryParse(kv.Value, out var s, out _) ? s : throw new InvalidOperationException()).ToArray();
            AggregateSlots = Aggregates.Select(s => s.Pointer is null ? -1 : f.Register(s.Pointer)).ToArray();
        }
        LatenessMs = (long)o.Time.AllowedLateness.TotalMilliseconds;
        MaxFutureSkewMs = (long)o.Time.MaxFutureSkew.TotalMilliseconds;
        FutureSkewToSide = string.Equals(o.Time.FutureSkew, "side-topic", StringComparison.OrdinalIgnoreCase);
        Late = o.Time.Late.ToLowerInvariant() switch
        {
            "revise" => LatePolicy.Revise,
            "side-topic" => LatePolicy.SideTopic,
            _ => LatePolicy.Drop,
        };
        ReviseHorizonMs = o.Time.ReviseHorizon is { } h ? (long)h.TotalMilliseconds : Math.Max(SizeMs, GapMs);
        IdleTimeout = o.Time.IdleTimeout;
        Fingerprint = ComputeFingerprint(o);
    }

    // Everything that shapes the state or the outputs goes in; Enabled does not.
    private static byte[] ComputeFingerprint(RuleOptions o)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            w.WriteStringValue(o.Id);
            foreach (var t in o.From.AllTopics())
            {
                w.WriteStringValue(t);
            }
            w.WriteStringValue(o.Where);
            Dict(w, o.Map.Select(kv => (kv.Key, kv.Value)));
            Strings(w, o.Select);
            if (o.Deadband is { } d)
            {
                Dict(w, d.Fields.Select(kv => (kv.Key, kv.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
                w.WriteNumberValue(d.Heartbeat.Ticks);
            }
            if (o.Alert is { } a)
            {
                Strings(w, [a.Name ?? "", a.Value, a.Direction, a.Topic ?? ""]);
                w.WriteNumberValue(a.Raise);
                w.WriteNumberValue(a.Clear);
                w.WriteNumberValue(a.For.Ticks);
            }
            var t2 = o.Time;
            Strings(w, [t2.Field ?? "", t2.Late, t2.FutureSkew, t2.SideTopic ?? ""]);
            w.WriteNumberValue(t2.AllowedLateness.Ticks);
            w.WriteNumberValue(t2.MaxFutureSkew.Ticks);
            w.WriteNumberValue(t2.ReviseHorizon?.Ticks ?? -1);
            if (o.Window is { } win)
            {
                w.WriteStringValue(win.Type.ToLowerInvariant());
                foreach (var x in new[] { win.Size, win.Hop, win.Gap, win.MaxDuration, win.Offset })
                {
                    w.WriteNumberValue(x.Ticks);
                }
                w.WriteNumberValue(win.Count);
            }
            Strings(w, o.GroupBy);
            Dict(w, o.Aggregate.Select(kv => (kv.Key, kv.Value)));
            w.WriteStringValue(o.To?.Topic);
            w.WriteEndArray();
        }
        return SHA256.HashData(buffer.WrittenSpan);
    }

    private static void Strings(Utf8JsonWriter w, IEnumerable<string> values)
    {
        w.WriteStartArray();
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }
        w.WriteEndArray();
    }

    private static void Dict(Utf8JsonWriter w, IEnumerable<(string Key, string Value)> pairs)
    {
        w.WriteStartArray();
        foreach (var (k, v) in pairs.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            w.WriteStringValue(k);
            w.WriteStringValue(v);
        }
        w.WriteEndArray();
    }
}
