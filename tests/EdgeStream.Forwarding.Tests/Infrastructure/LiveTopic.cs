using EdgeStream.Log;

namespace EdgeStream.Forwarding.Tests.Infrastructure;

/// <summary>A live stream's set-up: a one-partition log with an empty topic, an HTTP receiver, and a sink for the topic.</summary>
public sealed class LiveTopic : IAsyncDisposable
{
    public const string Topic = "live";

    private LiveTopic(HttpReceiver receiver, TestLog log)
    {
        Receiver = receiver;
        Log = log;
    }

    public HttpReceiver Receiver { get; }

    public TestLog Log { get; }

    public static async Task<LiveTopic> StartAsync()
    {
        var receiver = await HttpReceiver.StartAsync();
        var log = await TestLog.OpenAsync(partitions: 1);
        log.Store.EnsureTopic(Topic);
        return new LiveTopic(receiver, log);
    }

    /// <summary>An HTTP sink named <c>http1</c> that forwards only the topic to the receiver.</summary>
    public SinkOptions Sink()
    {
        var sink = EngineRun.Sink("http1", "http", ("Url", Receiver.Url));
        sink.Topics.Add(Topic);
        return sink;
    }

    /// <summary>Appends a one-byte record and waits until it is durable.</summary>
    public async Task AppendAsync(byte value, CancellationToken cancellationToken)
    {
        await Log.Store.AppendAsync(Topic, new LogRecord(new[] { value }), cancellationToken);
        await Log.Store.FlushAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await Log.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}
