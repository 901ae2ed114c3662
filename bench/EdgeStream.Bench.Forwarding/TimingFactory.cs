using System.Diagnostics;
using EdgeStream.Forwarding;

namespace EdgeStream.Bench.Forwarding;

/// <summary>Wraps a sink factory to add up the time spent inside SendAsync (where the engine's time goes).</summary>
internal sealed class TimingFactory(ISinkFactory inner) : ISinkFactory
{
    public static long SendTicks;

    public string Type => inner.Type;

    public void Validate(SinkOptions options, string path) => inner.Validate(options, path);

    public ISink Create(SinkContext context) => new TimingSink(inner.Create(context));

    private sealed class TimingSink(ISink inner) : ISink
    {
        public async Task<SendResult> SendAsync(SinkBatch batch, CancellationToken cancellationToken)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                return await inner.SendAsync(batch, cancellationToken);
            }
            finally
            {
                Interlocked.Add(ref SendTicks, Stopwatch.GetTimestamp() - start);
            }
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
