using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace EdgeStream.Forwarding;

/// <summary>
/// Builds a sink's Polly pipeline: an unbounded exponential, jittered retry around a circuit breaker. Every loop of
/// the sink shares it, so one breaker sees all of the sink's failures; other sinks have their own and are never held up.
/// The retry ends only when the caller's token is cancelled (shutdown) — store-and-forward never gives up on a batch.
/// A <see cref="SinkRejectedException"/> (misconfiguration) is retried the same way, capped at
/// <see cref="RetryOptions.MaxDelay"/>, so a fixed credential or URL is picked up without a restart.
/// </summary>
internal static class SinkResilience
{
    public static ResiliencePipeline Build(string sinkName, RetryOptions options, SinkHealth health, ILogger logger, TimeProvider time)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        builder.AddRetry(new RetryStrategyOptions
        {
            // A cancelled caller token means shutdown; any other exception (including a client's own timeout) is retried.
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is { } e && !(e is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.InitialDelay,
            MaxDelay = options.MaxDelay,
            MaxRetryAttempts = int.MaxValue,
            DelayGenerator = args => ValueTask.FromResult(
                args.Outcome.Exception is SinkRetryAfterException { RetryAfter: { } after } ? (TimeSpan?)Min(after, options.MaxDelay) : null),
            OnRetry = args =>
            {
                // A fast-failing open circuit is not a new error: keep the one that opened it.
                if (args.Outcome.Exception is not BrokenCircuitException)
                {
                    // Logged once per state change: a year of retries against a dead upstream must not flood the journal.
                    if (health.OnFailure(args.Outcome.Exception))
                    {
                        if (args.Outcome.Exception is SinkRejectedException)
                        {
                            ForwardingLog.SinkRejected(logger, sinkName, args.RetryDelay, args.Outcome.Exception);
                        }
                        else
                        {
                            ForwardingLog.SendFailed(logger, sinkName, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception);
                        }
                    }
                    else
                    {
                        ForwardingLog.SendRetrying(logger, sinkName, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception);
                    }
                }
                return ValueTask.CompletedTask;
            },
        });
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is { } e && !(e is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)),
            FailureRatio = options.FailureRatio,
            SamplingDuration = options.SamplingDuration,
            MinimumThroughput = options.MinimumThroughput,
            BreakDuration = options.BreakDuration,
            OnOpened = args =>
            {
                health.OnCircuit(open: true);
                ForwardingLog.CircuitOpened(logger, sinkName, args.BreakDuration);
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                health.OnCircuit(open: false);
                ForwardingLog.CircuitClosed(logger, sinkName);
                return ValueTask.CompletedTask;
            },
            OnHalfOpened = _ =>
            {
                // Half-open lets one probe through; the state stays "Open" until that probe succeeds and closes it.
                return ValueTask.CompletedTask;
            },
        });
        return builder.Build();
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
