using EdgeStream.Log;
using EdgeStream.Processing.Aggregates;
using EdgeStream.Processing.Expressions;
using EdgeStream.Processing.Json;

namespace EdgeStream.Processing.Options;

/// <summary>Cross-field checks of one rule; each error names its key under the rule's path. Thread-safe (stateless).</summary>
internal static class RuleValidator
{
    /// <summary>Window output fields that aggregates and group-by names may not take.</summary>
    public static readonly string[] ReservedNames = ["rule", "key", "start", "end", "count", "revision"];

    public static void Check(RuleOptions r, string path, List<string> errors)
    {
        void Fail(string key, string message) => errors.Add($"{path}:{key}: {message}");

        if (string.IsNullOrWhiteSpace(r.Id))
        {
            if (!errors.Any(e => e.StartsWith($"{path}:Id:", StringComparison.Ordinal)))
            {
                Fail("Id", "is required.");
            }
        }
        else if (r.Id.Length > 100 || r.Id.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") >= 0)
        {
            if (!errors.Any(e => e.StartsWith($"{path}:Id:", StringComparison.Ordinal)))
            {
                Fail("Id", "must be 1-100 characters of A-Z a-z 0-9 . _ -.");
            }
        }

        var from = r.From ?? new FromOptions();
        if (string.IsNullOrEmpty(from.Topic) && from.Topics.Count == 0)
        {
            Fail("From:Topic", "is required (or From:Topics).");
        }
        if (!string.IsNullOrEmpty(from.Topic))
        {
            Topic("From:Topic", from.Topic);
        }
        for (int i = 0; i < from.Topics.Count; i++)
        {
            Topic($"From:Topics:{i}", from.Topics[i]);
        }

        if (r.Where is not null && RuleExpression.Check(r.Where) is { } whereError)
        {
            Fail("Where", whereError);
        }
        foreach (var (name, expr) in r.Map)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                Fail("Map", "has an empty field name.");
            }
            else if (RuleExpression.Check(expr ?? "") is { } mapError)
            {
                Fail($"Map:{name}", mapError);
            }
        }
        for (int i = 0; i < r.Select.Count; i++)
        {
            Pointer($"Select:{i}", r.Select[i]);
        }
        for (int i = 0; i < r.GroupBy.Count; i++)
        {
            Pointer($"GroupBy:{i}", r.GroupBy[i]);
        }

        var time = r.Time ?? new TimeOptions();
        if (time.Field is not null)
        {
            Pointer("Time:Field", time.Field);
        }
        if (time.AllowedLateness < TimeSpan.Zero)
        {
            Fail("Time:AllowedLateness", "must not be negative.");
        }
        if (time.IdleTimeout <= TimeSpan.Zero)
        {
            Fail("Time:IdleTimeout", "must be positive.");
        }
        if (time.MaxFutureSkew < TimeSpan.Zero)
        {
            Fail("Time:MaxFutureSkew", "must be zero (no check) or positive.");
        }
        if (time.ReviseHorizon is { } horizon && horizon < TimeSpan.Zero)
        {
            Fail("Time:ReviseHorizon", "must not be negative.");
        }
        bool lateSide = string.Equals(time.Late, "side-topic", StringComparison.OrdinalIgnoreCase);
        if (time.Late is null || !(lateSide || string.Equals(time.Late, "drop", StringComparison.OrdinalIgnoreCase) || string.Equals(time.Late, "revise", StringComparison.OrdinalIgnoreCase)))
        {
            Fail("Time:Late", $"'{time.Late}' is not drop, side-topic or revise.");
        }
        bool skewSide = string.Equals(time.FutureSkew, "side-topic", StringComparison.OrdinalIgnoreCase);
        if (time.FutureSkew is null || !(skewSide || string.Equals(time.FutureSkew, "clamp", StringComparison.OrdinalIgnoreCase)))
        {
            Fail("Time:FutureSkew", $"'{time.FutureSkew}' is not clamp or side-topic.");
        }
        if ((lateSide || (skewSide && time.MaxFutureSkew > TimeSpan.Zero)) && string.IsNullOrEmpty(time.SideTopic))
        {
            Fail("Time:SideTopic", "is required when Late or FutureSkew is side-topic.");
        }
        if (!string.IsNullOrEmpty(time.SideTopic))
        {
            OutputTopic("Time:SideTopic", time.SideTopic);
        }

        // A per-record rule with an Alert may write alerts only; every other rule writes results to To:Topic.
        bool perRecordOutput = r.Window is null && r.Alert is null;
        if ((r.Window is not null || perRecordOutput) && string.IsNullOrEmpty(r.To?.Topic))
        {
            Fail("To:Topic", "is required.");
        }
        else if (!string.IsNullOrEmpty(r.To?.Topic))
        {
            OutputTopic("To:Topic", r.To.Topic);
        }

        if (r.Window is { } w)
        {
            CheckWindow(w, Fail);
            if (r.Aggregate.Count == 0)
            {
                Fail("Aggregate", "is required with a Window (e.g. \"n\": \"count()\").");
            }
            if (r.Map.Count > 0 || r.Select.Count > 0 || r.Deadband is not null || r.Alert is not null)
            {
                Fail("Window", "cannot be combined with Map, Select, Deadband or Alert (use a per-record rule before or after it).");
            }
            var groupNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var g in r.GroupBy)
            {
                groupNames.Add(JsonPointer.LastToken(g ?? ""));
            }
            foreach (var (name, spec) in r.Aggregate)
            {
                if (string.IsNullOrWhiteSpace(name) || ReservedNames.Contains(name) || groupNames.Contains(name))
                {
                    Fail($"Aggregate:{name}", $"the name is empty, reserved ({string.Join(", ", ReservedNames)}) or used by a GroupBy field.");
                }
                else if (!AggregateSpec.TryParse(spec ?? "", out _, out var aggError))
                {
                    Fail($"Aggregate:{name}", aggError);
                }
            }
        }
        else if (r.Aggregate.Count > 0)
        {
            Fail("Aggregate", "needs a Window.");
        }

        if (r.Deadband is { } d)
        {
            if (d.Fields.Count == 0)
            {
                Fail("Deadband:Fields", "lists no field.");
            }
            foreach (var (ptr, threshold) in d.Fields)
            {
                Pointer($"Deadband:Fields:{ptr}", ptr);
                if (!(threshold >= 0) || double.IsInfinity(threshold))
                {
                    Fail($"Deadband:Fields:{ptr}", "the threshold must be zero or positive.");
                }
            }
            if (d.Heartbeat < TimeSpan.Zero)
            {
                Fail("Deadband:Heartbeat", "must be zero (none) or positive.");
            }
        }

        if (r.Alert is { } a)
        {
            if (RuleExpression.Check(a.Value ?? "") is { } alertError)
            {
                Fail("Alert:Value", alertError);
            }
            bool above = string.Equals(a.Direction, "above", StringComparison.OrdinalIgnoreCase);
            bool below = string.Equals(a.Direction, "below", StringComparison.OrdinalIgnoreCase);
            if (!above && !below)
            {
                Fail("Alert:Direction", $"'{a.Direction}' is not above or below.");
            }
            else if (above ? a.Clear > a.Raise : a.Clear < a.Raise)
            {
                Fail("Alert:Clear", above ? "must not be above Raise (hysteresis)." : "must not be below Raise (hysteresis).");
            }
            if (!double.IsFinite(a.Raise) || !double.IsFinite(a.Clear))
            {
                Fail("Alert:Raise", "Raise and Clear must be finite numbers.");
            }
            if (a.For < TimeSpan.Zero)
            {
                Fail("Alert:For", "must not be negative.");
            }
            if (string.IsNullOrEmpty(a.Topic))
            {
                Fail("Alert:Topic", "is required.");
            }
            else
            {
                OutputTopic("Alert:Topic", a.Topic);
            }
        }

        void Topic(string key, string name)
        {
            if (!TopicName.IsValid(name, out var reason))
            {
                Fail(key, $"'{name}': {reason}.");
            }
        }

        void OutputTopic(string key, string name)
        {
            if (!TopicName.IsValidForIngest(name, out var reason))
            {
                Fail(key, $"'{name}': {reason}.");
            }
        }

        void Pointer(string key, string? pointer)
        {
            if (!JsonPointer.TryParse(pointer, out _, out var reason))
            {
                Fail(key, reason);
            }
        }
    }

    private static void CheckWindow(WindowOptions w, Action<string, string> fail)
    {
        string type = (w.Type ?? "").ToLowerInvariant();
        switch (type)
        {
            case "tumbling":
            case "sliding":
                if (w.Size <= TimeSpan.Zero)
                {
                    fail("Window:Size", $"must be positive for a {type} window.");
                }
                break;
            case "hopping":
                if (w.Size <= TimeSpan.Zero)
                {
                    fail("Window:Size", "must be positive for a hopping window.");
                }
                if (w.Hop <= TimeSpan.Zero || w.Hop > w.Size)
                {
                    fail("Window:Hop", "must be positive and at most Size.");
                }
                else if (w.Size.Ticks / w.Hop.Ticks > 1000)
                {
                    fail("Window:Hop", "gives more than 1000 overlapping windows per record; use a larger Hop.");
                }
                break;
            case "session":
                if (w.Gap <= TimeSpan.Zero)
                {
                    fail("Window:Gap", "must be positive for a session window.");
                }
                if (w.MaxDuration <= TimeSpan.Zero)
                {
                    fail("Window:MaxDuration", "must be positive for a session window (sessions are bounded).");
                }
                break;
            case "count":
                if (w.Count <= 0)
                {
                    fail("Window:Count", "must be positive for a count window.");
                }
                break;
            default:
                fail("Window:Type", $"'{w.Type}' is not tumbling, hopping, session, count or sliding.");
                return;
        }
        if (w.Offset < TimeSpan.Zero)
        {
            fail("Window:Offset", "must not be negative.");
        }
        if (type is "tumbling" or "hopping" && w.Size > TimeSpan.Zero && w.Offset >= w.Size)
        {
            fail("Window:Offset", "must be less than Size.");
        }
    }
}
