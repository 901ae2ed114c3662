using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Log.Tests;

public sealed class CursorFlushTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Cursor_commits_queued_behind_a_flush_share_the_next_one_and_are_durable_when_they_complete()
    {
        using var dir = new TempDir();
        var disk = new PowerCutDisk(dir.Path);
        var options = LogTestKit.Options(dir.Path);
        var storage = disk.NewProcess();
        var cursorFlushes = 0;
        var firstFlushEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var releaseFirstFlush = new ManualResetEventSlim();
        storage.BeforeFlush = path =>
        {
            if (path.EndsWith(".cursor.tmp", StringComparison.Ordinal) && Interlocked.Increment(ref cursorFlushes) == 1)
            {
                // Hold the first cursor fsync (on the thread doing it) while more commits arrive.
                firstFlushEntered.TrySetResult();
                releaseFirstFlush.Wait(Hang);
            }
        };
        var store = await LogStore.OpenAsync(options, storage, null, null, default);
        store.EnsureTopic("t");

        var first = Task.Run(() => store.CommitCursorAsync("sink", "t", 0, 1), TestContext.Current.CancellationToken);
        await firstFlushEntered.Task.WaitAsync(Hang, TestContext.Current.CancellationToken);
        var queued = Enumerable.Range(2, 20).Select(next => store.CommitCursorAsync("sink", "t", 0, next)).ToList();
        releaseFirstFlush.Set();
        await first.WaitAsync(Hang, TestContext.Current.CancellationToken);
        await Task.WhenAll(queued).WaitAsync(Hang, TestContext.Current.CancellationToken);

        // One fsync for the first commit, one shared by the twenty queued behind it.
        Assert.Equal(2, Volatile.Read(ref cursorFlushes));
        Assert.Equal(21, store.GetCursor("sink", "t", 0));

        // Completed means durable: the power goes right after, and the cursor is still there.
        disk.PowerCut();
        await store.DisposeAsync().AsTask().WaitAsync(Hang, TestContext.Current.CancellationToken);
        await using var reopened = await LogStore.OpenAsync(options, disk.NewProcess(), null, null, default);
        Assert.Equal(21, reopened.GetCursor("sink", "t", 0));
    }

    [Fact]
    public async Task A_cursor_file_that_fails_its_crc_is_logged_and_the_cursor_starts_uncommitted()
    {
        using var dir = new TempDir();
        var options = LogTestKit.Options(dir.Path);
        await using (var store = await LogStore.OpenAsync(options))
        {
            store.EnsureTopic("t");
            await store.CommitCursorAsync("kafka", "t", 0, 42, TestContext.Current.CancellationToken);
            await store.CommitCursorAsync("nats", "t", 0, 7, TestContext.Current.CancellationToken);
        }
        var file = Path.Combine(dir.Path, "cursors", "kafka", "t", "0.cursor");
        var bytes = await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken);
        bytes[0] ^= 0x01;
        await File.WriteAllBytesAsync(file, bytes, TestContext.Current.CancellationToken);

        var logs = new CapturingLoggerFactory();
        await using var reopened = await LogStore.OpenAsync(options, logs, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Null(reopened.GetCursor("kafka", "t", 0));
        Assert.Equal(7, reopened.GetCursor("nats", "t", 0));
        var entry = Assert.Single(logs.Entries, e => e.Id.Id == 1046);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains("kafka", entry.Message, StringComparison.Ordinal);
        Assert.Contains("t/0", entry.Message, StringComparison.Ordinal);
        Assert.Contains("CRC32C", entry.Message, StringComparison.Ordinal);
    }

    private sealed class CapturingLoggerFactory : ILoggerFactory, ILogger
    {
        public ConcurrentQueue<(EventId Id, LogLevel Level, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Entries.Enqueue((eventId, logLevel, formatter(state, exception)));

        public void Dispose()
        {
        }
    }
}
