using System.Threading.Channels;
using EdgeStream.Ingest.Mqtt.Broker.Sys;
using MQTTnet;
using MQTTnet.Server;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Ingest.Mqtt.Broker.Retained;

/// <summary>
/// Keeps the broker's retained messages across a restart (Mosquitto's autosave). MQTTnet holds them in memory only;
/// this loads them from <see cref="RetainedSnapshotFile"/> as the server starts (<c>LoadingRetainedMessageAsync</c>),
/// marks them dirty when one changes or all are cleared, and a background loop writes a snapshot of
/// <see cref="MqttServer.GetRetainedMessagesAsync"/> at most once per <c>Mqtt:RetainedSnapshotInterval</c>, and once
/// more at a graceful stop. A power cut can therefore lose up to one interval of retained changes (the messages
/// themselves are in the log, acknowledged as before).
/// <para>Loading: messages whose absolute expiry passed while the broker was down are skipped; the rest are accounted
/// in <see cref="RetainedLimit"/> newest first, and those beyond <c>Mqtt:Limits:MaxRetainedMessages</c> /
/// <c>MaxRetainedBytes</c> (the oldest) are dropped and counted in a warning. A damaged file yields its valid prefix
/// and is kept as <c>.corrupt</c>; the broker always starts.</para>
/// <para>Writing: a failure (disk full, read-only) is logged once until a write works again and is retried on the
/// next interval; the in-memory retained messages are never touched by it. <c>$SYS</c> statistics are not kept
/// (the broker publishes them afresh).</para>
/// Thread-safe: MQTTnet's events may come from any connection; one loop writes.
/// </summary>
internal sealed class RetainedPersistence : IDisposable
{
    private readonly MqttServer _server;
    private readonly RetainedSnapshotFile _file;
    private readonly RetainedLimit _limit;
    private readonly MqttLimitsOptions _limits;
    private readonly PayloadStamps _stamps;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    // When each retained topic last changed: the order records are written and loaded in. Bounded like the retained
    // messages themselves (one entry per retained topic; a cleared topic is removed).
    private readonly Dictionary<string, DateTimeOffset> _retainedAt = new(StringComparer.Ordinal);

    // Dirty while _changes is ahead of _saved: bumped after every change, set to what a successful write covered.
    private long _changes;
    private long _saved;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    // One write at a time (the loop, the final write), and the capture of the final state during the stop.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private volatile bool _stopping;
    private IList<MqttApplicationMessage>? _final;
    private bool _failing;
    private long _lastSnapshotBytes;
    private long _nextWriteTicks;
    private int _failedWrites;

    public RetainedPersistence(MqttServer server, RetainedSnapshotFile file, RetainedLimit limit, MqttLimitsOptions limits, PayloadStamps stamps,
        TimeSpan interval, TimeProvider time, ILogger logger)
    {
        _server = server;
        _file = file;
        _limit = limit;
        _limits = limits;
        _stamps = stamps;
        _interval = interval;
        _time = time;
        _logger = logger;
        server.LoadingRetainedMessageAsync += LoadAsync;
        server.RetainedMessageChangedAsync += ChangedAsync;
        server.RetainedMessagesClearedAsync += ClearedAsync;
    }

    /// <summary>
    /// Average bytes per second that snapshot writes may take. Every write rewrites all retained messages, so a large
    /// retained set that keeps changing would otherwise be rewritten every interval: 10 MB each second is 860 GB a
    /// day, which wears out an SD card in weeks. The pause after a write therefore grows with its size.
    /// </summary>
    internal const int WriteBudgetBytesPerSecond = 64 * 1024;

    /// <summary>How long the loop waits after writing a snapshot of <paramref name="bytes"/>: the interval, or longer for a large one.</summary>
    internal static TimeSpan PauseAfter(long bytes, TimeSpan interval)
    {
        var budget = TimeSpan.FromSeconds((double)bytes / WriteBudgetBytesPerSecond);
        return budget > interval ? budget : interval;
    }

    /// <summary>The earliest time the loop writes again (tests: the pause has begun).</summary>
    internal DateTimeOffset NextWriteNotBefore => new(Volatile.Read(ref _nextWriteTicks), TimeSpan.Zero);

    /// <summary>Snapshot writes that failed since the start (each is logged only while writes worked before it).</summary>
    internal int FailedWrites => Volatile.Read(ref _failedWrites);

    /// <summary>Starts the snapshot loop; call once the server has started (it has loaded the snapshot by then).</summary>
    public void Start() => _loop = Task.Run(() => LoopAsync(_stop.Token), CancellationToken.None);

    /// <summary>
    /// First half of a graceful stop, before the server stops: ends the loop and from now on keeps the latest state at
    /// every change, since MQTTnet no longer hands it out once stopped (wills and last publishes arrive while
    /// connections close).
    /// </summary>
    public async Task BeginStopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stopping = true;
        await CaptureFinalAsync().ConfigureAwait(false);
    }

    /// <summary>Second half, after the server has stopped: writes the final snapshot if anything changed since the last.</summary>
    public async Task CompleteStopAsync()
    {
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            var changes = Volatile.Read(ref _changes);
            if (changes != _saved && _final is { } final)
            {
                Write(final, changes);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        _gate.Dispose();
    }

    private Task LoadAsync(LoadingRetainedMessagesEventArgs args)
    {
        var now = _time.GetUtcNow();
        List<RetainedRecord> records;
        bool damaged;
        try
        {
            var (read, damage, exists) = _file.Read();
            if (!exists)
            {
                return Task.CompletedTask;
            }
            records = read;
            damaged = damage is not null;
            if (damage is not null)
            {
                MqttIngestLog.RetainedSnapshotDamaged(_logger, _file.Path, damage, records.Count, _file.CorruptPath);
                Quarantine();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            MqttIngestLog.RetainedSnapshotReadFailed(_logger, e, _file.Path);
            return Task.CompletedTask;
        }

        // Newest first, so the limits keep the newest; a topic counts once (its newest record).
        records.Sort((a, b) => b.RetainedAt.CompareTo(a.RetainedAt));
        var loaded = new List<MqttApplicationMessage>(records.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int expired = 0, dropped = 0;
        var full = false;
        foreach (var (message, retainedAt, expiresAt) in records)
        {
            if (!seen.Add(message.Topic) || message.Payload.IsEmpty || SysTopics.IsSys(message.Topic))
            {
                continue; // never written by this class: not a retained message to restore
            }
            if (expiresAt is { } expires && expires <= now)
            {
                expired++;
                continue;
            }
            // Once one does not fit, older ones are not squeezed in behind it: the newest are kept, not the smallest.
            if (full || !_limit.TryRetain(message.Topic, RetainedLimit.SizeOf(message), out _))
            {
                full = true;
                dropped++;
                continue;
            }
            if (expiresAt is { } expiry)
            {
                SetRemainingExpiry(message, expiry - now);
            }
            loaded.Add(message);
            lock (_retainedAt)
            {
                _retainedAt[message.Topic] = retainedAt;
            }
        }
        args.LoadedRetainedMessages = loaded;
        MqttIngestLog.RetainedLoaded(_logger, _file.Path, loaded.Count, expired, dropped);
        if (dropped > 0)
        {
            MqttIngestLog.RetainedOverLimits(_logger, _file.Path, _limits.MaxRetainedMessages, _limits.MaxRetainedBytes, dropped);
        }
        // The file no longer says what the broker holds (or was moved aside): write a new one soon.
        if (dropped > 0 || expired > 0 || damaged)
        {
            MarkDirty();
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// A restored message expires when its stored absolute time comes: it gets what is left as its interval and a
    /// receive stamp of now, which is what the broker's Message Expiry handling counts from.
    /// </summary>
    private void SetRemainingExpiry(MqttApplicationMessage message, TimeSpan left)
    {
        var seconds = (uint)Math.Clamp(Math.Ceiling(left.TotalSeconds), 1, uint.MaxValue);
        message.MessageExpiryInterval = seconds;
        var stamp = _stamps.For(message);
        stamp.ReceivedAt = _time.GetTimestamp();
        stamp.ExpiryInterval = seconds;
    }

    private void Quarantine()
    {
        try
        {
            _file.Quarantine();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The next snapshot replaces the damaged file anyway; until then a restart reads the same valid prefix.
            MqttIngestLog.RetainedSnapshotWriteFailed(_logger, e, _file.CorruptPath);
        }
    }

    private Task ChangedAsync(RetainedMessageChangedEventArgs args)
    {
        var message = args.ChangedRetainedMessage;
        if (SysTopics.IsSys(message.Topic))
        {
            return Task.CompletedTask;
        }
        lock (_retainedAt)
        {
            if (message.Payload.IsEmpty)
            {
                _retainedAt.Remove(message.Topic);
            }
            else
            {
                _retainedAt[message.Topic] = _time.GetUtcNow();
            }
        }
        return OnChangeAsync();
    }

    private Task ClearedAsync(EventArgs args)
    {
        lock (_retainedAt)
        {
            _retainedAt.Clear();
        }
        return OnChangeAsync();
    }

    private Task OnChangeAsync()
    {
        MarkDirty();
        // MQTTnet calls these handlers one at a time, after its change: during the stop the state read now is the latest.
        return _stopping ? CaptureFinalAsync() : Task.CompletedTask;
    }

    private void MarkDirty()
    {
        Interlocked.Increment(ref _changes);
        _wake.Writer.TryWrite(true);
    }

    private async Task CaptureFinalAsync()
    {
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            _final = await _server.GetRetainedMessagesAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Not started (a start that failed): nothing newer than what was captured before.
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _wake.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                _wake.Reader.TryRead(out _);
                await WriteIfDirtyAsync(cancellationToken).ConfigureAwait(false);
                // Changes meanwhile wait for the next write together.
                var pause = PauseAfter(Volatile.Read(ref _lastSnapshotBytes), _interval);
                Volatile.Write(ref _nextWriteTicks, (_time.GetUtcNow() + pause).UtcTicks);
                await Task.Delay(pause, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task WriteIfDirtyAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Read before the messages: a change after this read is left dirty and written next time.
            var changes = Volatile.Read(ref _changes);
            if (changes == _saved)
            {
                return;
            }
            Write(await _server.GetRetainedMessagesAsync().ConfigureAwait(false), changes);
        }
        finally
        {
            _gate.Release();
        }
        if (Volatile.Read(ref _changes) != _saved)
        {
            _wake.Writer.TryWrite(true); // a failed write, or changes during it: again after the interval
        }
    }

    /// <summary>Writes <paramref name="messages"/>; on success they cover <paramref name="changes"/>. Under <see cref="_gate"/>.</summary>
    private void Write(IList<MqttApplicationMessage> messages, long changes)
    {
        try
        {
            Volatile.Write(ref _lastSnapshotBytes, _file.Write(Records(messages)));
            _saved = changes;
            _failing = false;
        }
        catch (Exception e)
        {
            // Whatever failed (disk full, read-only, a message that cannot be encoded), the loop and the broker go on
            // with the retained messages in memory, and the next interval tries again.
            Interlocked.Increment(ref _failedWrites);
            if (!_failing)
            {
                _failing = true;
                MqttIngestLog.RetainedSnapshotWriteFailed(_logger, e, _file.Path);
            }
        }
    }

    /// <summary>The messages to keep, newest first, each with its absolute expiry.</summary>
    private List<RetainedRecord> Records(IList<MqttApplicationMessage> messages)
    {
        var now = _time.GetUtcNow();
        var records = new List<RetainedRecord>(messages.Count);
        lock (_retainedAt)
        {
            foreach (var message in messages)
            {
                if (message.Payload.IsEmpty || SysTopics.IsSys(message.Topic))
                {
                    continue;
                }
                DateTimeOffset? expiresAt = null;
                if (message.MessageExpiryInterval > 0)
                {
                    // Counted from when the broker received it (its stamp), as delivery counts it; without a stamp, from now.
                    var (receivedAt, interval) = _stamps.Find(message.Payload) is { ExpiryInterval: > 0 } stamp
                        ? (now - _time.GetElapsedTime(stamp.ReceivedAt), stamp.ExpiryInterval)
                        : (now, message.MessageExpiryInterval);
                    expiresAt = receivedAt + TimeSpan.FromSeconds(interval);
                    if (expiresAt <= now)
                    {
                        continue; // expired: never delivered again, so not worth keeping
                    }
                }
                records.Add(new RetainedRecord(message, _retainedAt.GetValueOrDefault(message.Topic, now), expiresAt));
            }
        }
        records.Sort((a, b) => b.RetainedAt.CompareTo(a.RetainedAt));
        return records;
    }
}
