using EdgeStream.Log;
using Microsoft.Extensions.Options;

namespace EdgeStream.Forwarding;

/// <summary>Validates <see cref="ForwardingOptions"/> at start; each failure names the full configuration key.</summary>
internal sealed class ForwardingOptionsValidator(IEnumerable<ISinkFactory> factories) : IValidateOptions<ForwardingOptions>
{
    public ValidateOptionsResult Validate(string? name, ForwardingOptions options)
    {
        try
        {
            Check(options, factories);
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad key.</summary>
    public static void Check(ForwardingOptions options, IEnumerable<ISinkFactory> factories)
    {
        const string root = ForwardingOptions.SectionName;
        var byType = factories.ToDictionary(f => f.Type, StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(options.NodeId) || options.NodeId.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{root}:NodeId must be set and must not contain '/' (was '{options.NodeId}').");
        }
        if (options.TopicDiscoveryInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{root}:TopicDiscoveryInterval must be positive.");
        }
        if (options.CursorCommitInterval < TimeSpan.Zero || options.CursorCommitInterval > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentException($"{root}:CursorCommitInterval must be between 0 and 10 seconds.");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Sinks.Count; i++)
        {
            var s = options.Sinks[i];
            var path = $"{root}:Sinks:{i}";
            if (!TopicName.IsValid(s.Name, out var reason))
            {
                throw new ArgumentException($"{path}:Name '{s.Name}' is not a valid cursor name: {reason.Replace("topic name", "name", StringComparison.Ordinal)}.");
            }
            if (!names.Add(s.Name))
            {
                throw new ArgumentException($"{path}:Name '{s.Name}' is used by another sink.");
            }
            if (!byType.TryGetValue(s.Type ?? "", out var factory))
            {
                throw new ArgumentException($"{path}:Type '{s.Type}' is not one of: {string.Join(", ", byType.Keys.Order(StringComparer.Ordinal))}.");
            }
            for (var t = 0; t < s.Topics.Count; t++)
            {
                if (!TopicName.IsValid(s.Topics[t].TrimEnd('*'), out var why))
                {
                    throw new ArgumentException($"{path}:Topics:{t} '{s.Topics[t]}': {why}.");
                }
            }
            if (!StartPosition.TryParse(s.Start, out _))
            {
                throw new ArgumentException($"{path}:Start '{s.Start}' must be 'earliest', 'latest' or an ISO-8601 timestamp.");
            }
            CheckBatch(s.Batch, $"{path}:Batch");
            if (s.BandwidthBytesPerSecond is < 1024)
            {
                throw new ArgumentException($"{path}:BandwidthBytesPerSecond must be at least 1024 when set (was {s.BandwidthBytesPerSecond}).");
            }
            CheckRetry(s.Retry, $"{path}:Retry");
            factory.Validate(s, $"{path}:Settings");
        }
    }

    private static void CheckBatch(BatchOptions b, string path)
    {
        if (b.MaxRecords is < 1 or > 100_000)
        {
            throw new ArgumentException($"{path}:MaxRecords must be between 1 and 100000 (was {b.MaxRecords}).");
        }
        if (b.MaxBytes < 1024)
        {
            throw new ArgumentException($"{path}:MaxBytes must be at least 1024 (was {b.MaxBytes}).");
        }
        if (b.Linger < TimeSpan.Zero || b.Linger > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"{path}:Linger must be between 0 and 1 minute (was {b.Linger}).");
        }
    }

    private static void CheckRetry(RetryOptions r, string path)
    {
        if (r.InitialDelay <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{path}:InitialDelay must be positive.");
        }
        if (r.MaxDelay < r.InitialDelay)
        {
            throw new ArgumentException($"{path}:MaxDelay must be at least InitialDelay.");
        }
        if (r.BreakDuration < TimeSpan.FromMilliseconds(500))
        {
            throw new ArgumentException($"{path}:BreakDuration must be at least 500 ms (Polly's minimum).");
        }
        if (r.FailureRatio is <= 0 or > 1)
        {
            throw new ArgumentException($"{path}:FailureRatio must be in (0, 1].");
        }
        if (r.SamplingDuration < TimeSpan.FromMilliseconds(500))
        {
            throw new ArgumentException($"{path}:SamplingDuration must be at least 500 ms.");
        }
        if (r.MinimumThroughput < 2)
        {
            throw new ArgumentException($"{path}:MinimumThroughput must be at least 2.");
        }
    }
}
