using EdgeStream.Log.Format;
using EdgeStream.Log.Storage;

namespace EdgeStream.Log.Segments;

/// <summary>
/// One segment: <c>{baseOffset:D20}.log</c> with its <see cref="OffsetIndex"/> and <see cref="TimeIndex"/>.
/// The log file is a plain sequence of record batches (see <see cref="RecordBatch"/>), optionally followed by a
/// preallocated tail of zeros (see <see cref="LogOptions.SegmentPreallocationBytes"/>) that recovery, readers and
/// <c>log verify</c> treat as the clean end and that rolling and closing trim away.
/// Appended batches are coalesced in memory and written with one positional write per flush
/// (<see cref="WritePending"/>), so a group commit of many single-record appends costs one write and one fdatasync.
/// Threading: appends, flushes and truncation are serialized by the owning partition; reads are positional and may
/// run concurrently with appends, bounded by <see cref="DurableSize"/>. Reference-counted so a segment deleted by
/// retention is closed only after its last reader is done.
/// </summary>
internal sealed class Segment
{
    /// <summary>Most bytes coalesced in memory before an append writes them itself (bounds memory per segment).</summary>
    internal const int MaxPendingBytes = 256 << 10;

    /// <summary>The first allocation step of a segment; later steps match its size, up to the configured step.</summary>
    internal const long MinPreallocationStep = 64 << 10;

    /// <summary>Zeros written ahead of the data at a time (see <see cref="LogOptions.SegmentZeroFill"/>).</summary>
    internal const int ZeroFillChunk = 1 << 20;

    private static readonly byte[] Zeros = new byte[256 << 10];

    private readonly ILogStorage _storage;
    private readonly long _preallocate;
    private readonly bool _zeroFill;
    private long _allocated;
    private long _zeroed;
    private byte[]? _pending;
    private long _pendingStart;
    private int _pendingLength;
    private readonly ILogFile _log;
    private readonly int _indexInterval;
    private long _size;
    private long _durableSize;
    private long _nextOffset;
    private long _maxTimestamp = long.MinValue;
    private int _bytesSinceIndex;
    private int _bytesSinceTimeIndex;
    private int _references = 1;
    private long _ageAnchor;
    private long _ageAtAnchorMs;
    private long _firstAppendAt = long.MinValue;
    private int _deleted;

    private Segment(ILogStorage storage, string path, long baseOffset, int indexInterval, long preallocate, bool zeroFill)
    {
        _storage = storage;
        _preallocate = preallocate;
        _zeroFill = zeroFill;
        LogPath = path;
        BaseOffset = baseOffset;
        _indexInterval = indexInterval;
        _log = storage.Open(path, createIfMissing: true);
        Offsets = OffsetIndex.Open(storage, SegmentFiles.IndexPath(path));
        Times = TimeIndex.Open(storage, SegmentFiles.TimeIndexPath(path));
        _size = _log.Length;
        _allocated = _size;
        _durableSize = _size;
        _nextOffset = baseOffset;
        _bytesSinceIndex = _bytesSinceTimeIndex = int.MaxValue / 2;
    }

    public long BaseOffset { get; }

    public string LogPath { get; }

    public OffsetIndex Offsets { get; }

    public TimeIndex Times { get; }

    public ILogFile File => _log;

    /// <summary>Bytes written (not necessarily durable).</summary>
    public long Size => Volatile.Read(ref _size);

    /// <summary>Bytes known to be on stable storage; readers stop here.</summary>
    public long DurableSize => Volatile.Read(ref _durableSize);

    /// <summary>The offset the next batch appended here would get.</summary>
    public long NextOffset => Volatile.Read(ref _nextOffset);

    /// <summary>Largest record timestamp in the segment (unix ms), or <see cref="long.MinValue"/> when empty.</summary>
    public long MaxTimestamp => Math.Max(Volatile.Read(ref _maxTimestamp), Times.MaxTimestamp);

    /// <summary>True when a failed write could not be cut back: the file may end in garbage until recovery.</summary>
    public bool Damaged { get; private set; }

    /// <summary>
    /// Starts the segment's clocks when the partition opens (or reopens): its age then is the wall-clock age of its
    /// newest record (never negative), and from then on it ages on the monotonic clock, so a later wall-clock step
    /// neither wipes it (+) nor keeps it for ever (−). A non-empty active segment's roll age counts from here.
    /// </summary>
    public void StartAgeClock(TimeProvider time)
    {
        var now = time.GetTimestamp();
        var newest = MaxTimestamp;
        _ageAnchor = now;
        _ageAtAnchorMs = newest == long.MinValue ? 0 : Math.Max(0, time.GetUtcNow().ToUnixTimeMilliseconds() - newest);
        if (_size > 0 && _firstAppendAt == long.MinValue)
        {
            _firstAppendAt = now;
        }
    }

    /// <summary>How old the segment's newest data is, for age retention (see <see cref="StartAgeClock"/>).</summary>
    public TimeSpan Age(TimeProvider time) => TimeSpan.FromMilliseconds(_ageAtAnchorMs) + time.GetElapsedTime(_ageAnchor);

    /// <summary>How long before <paramref name="now"/> (a <paramref name="time"/> timestamp) the first batch was appended in
    /// this process (zero when none), for age-based rolling.</summary>
    public TimeSpan ActiveFor(TimeProvider time, long now) => _firstAppendAt == long.MinValue ? TimeSpan.Zero : time.GetElapsedTime(_firstAppendAt, now);

    public static Segment Create(ILogStorage storage, string directory, long baseOffset, int indexInterval, long preallocate = 0, bool zeroFill = false)
    {
        var path = SegmentFiles.LogPath(directory, baseOffset);
        var segment = new Segment(storage, path, baseOffset, indexInterval, preallocate, zeroFill);
        segment.Offsets.Reset();
        segment.Times.Reset();
        return segment;
    }

    /// <summary>Opens an existing segment; the caller then trusts it (<see cref="LoadTrusted"/>) or scans it (<see cref="Recover"/>).</summary>
    public static Segment Open(ILogStorage storage, string path, long baseOffset, int indexInterval, long preallocate = 0, bool zeroFill = false)
        => new(storage, path, baseOffset, indexInterval, preallocate, zeroFill);

    /// <summary>
    /// For a segment below the recovery point: its bytes were fsynced, so only the indexes are checked; an index that
    /// does not fit the log is rebuilt by scanning this segment alone.
    /// </summary>
    public string? LoadTrusted(long nextOffset)
    {
        _nextOffset = nextOffset;

        var offsetsOk = Offsets.Load(_size);
        var timesOk = Times.Load(nextOffset - BaseOffset);
        if (offsetsOk && timesOk && Times.Count > 0)
        {
            return null;
        }
        var result = RebuildIndexes(0);
        return result.Problem is null
            ? "indexes were missing or inconsistent and were rebuilt"
            : $"indexes rebuilt; the segment also has a problem at byte {result.ValidEnd}: {result.Problem}";
    }

    /// <summary>
    /// Skips the batches wholly below <paramref name="trustedOffset"/> (fsynced before the last recovery point: bit rot
    /// there is reported by reads and <c>log verify</c>, never "repaired" by cutting acknowledged data), then scans the
    /// rest and truncates the segment at the first torn or corrupt batch. Returns the scan result.
    /// </summary>
    public ScanResult Recover(long trustedOffset, List<(long Position, long Resume, string Reason)>? keptAfterDamage = null)
    {
        if (!Offsets.Load(_size) | !Times.Load(int.MaxValue))
        {
            Offsets.Reset();
            Times.Reset();
        }
        var (position, expected) = SkipTrusted(trustedOffset);
        // Entries past the trusted region may be stale or half-written: the scan below re-creates them.
        Offsets.TruncateToLog(position);
        Times.TruncateFrom(expected - BaseOffset);
        var result = ScanFrom(position, expected);
        while (result.Problem is not null && result.NextOffset < trustedOffset
            && BatchResync.Find(_log, result.ValidEnd, _log.Length, result.NextOffset, long.MaxValue / 2) is { } found
            && found.Info.BaseOffset <= trustedOffset)
        {
            // Damage below the recovery point is bit rot in acknowledged data, not a torn tail: cutting there would
            // throw away every later acknowledged record. Keep going after it; readers skip the damaged range.
            keptAfterDamage?.Add((result.ValidEnd, found.Position, result.Problem));
            var rest = ScanFrom(found.Position, found.Info.BaseOffset);
            result = rest with { Start = result.Start, MaxTimestamp = Math.Max(result.MaxTimestamp, rest.MaxTimestamp) };
        }
        if (result.Problem is null && result.NextOffset < trustedOffset && result.ValidEnd < _log.Length)
        {
            // Zeros where the recovery point promises fsynced batches: not a preallocated tail but lost data. Report it.
            result = result with { Problem = $"zeros where records up to offset {trustedOffset} were fsynced" };
        }
        if (result.Problem is not null)
        {
            _log.SetLength(result.ValidEnd);
            _log.Flush();
        }
        // A zeroed tail (preallocated, never written) stays allocated: the next appends overwrite it.
        _allocated = _log.Length;
        Offsets.TruncateToLog(result.ValidEnd);
        _size = result.ValidEnd;
        _durableSize = result.ValidEnd;
        _nextOffset = result.NextOffset;
        _maxTimestamp = Math.Max(_maxTimestamp, result.MaxTimestamp);
        return result;
    }

    /// <summary>
    /// Cuts the segment back to <paramref name="offset"/>, which must be a batch boundary, and drops index entries past
    /// it (the caller fsyncs). Used when a failed partition reopens: bytes past its last successful fsync are suspect.
    /// </summary>
    /// <exception cref="IOException">No batch starts at <paramref name="offset"/>.</exception>
    public void TruncateAt(long offset)
    {
        if (offset >= _nextOffset)
        {
            return;
        }
        var (position, found) = SkipTrusted(offset);
        if (found != offset)
        {
            throw new IOException($"{LogPath}: no batch starts at offset {offset}; cannot cut the unflushed tail there.");
        }
        DropPending();
        _log.SetLength(position);
        _allocated = position;
        _zeroed = position;
        Offsets.TruncateToLog(position);
        Times.TruncateFrom(offset - BaseOffset);
        Volatile.Write(ref _size, position);
        Volatile.Write(ref _durableSize, position);
        Volatile.Write(ref _nextOffset, offset);
    }

    private (long Position, long Offset) SkipTrusted(long trustedOffset)
    {
        if (trustedOffset <= BaseOffset)
        {
            return (0, BaseOffset);
        }
        // Batch headers only (24 bytes each) from the nearest index entry: cheap even for a large trusted region.
        long position = Offsets.Lookup(trustedOffset - BaseOffset);
        Span<byte> head = stackalloc byte[40];
        var offset = BaseOffset;
        if (position > 0)
        {
            _log.Read(position, head[..RecordBatch.LengthFieldEnd]);
            (offset, var size) = RecordBatch.ReadFrame(head);
            // An index entry past the data (its batch was never written: coalesced writes, a zero preallocated tail)
            // points at zeros, whose "base offset" 0 would pass for the first batch of segment 0: check the length too.
            if (offset < BaseOffset || offset > trustedOffset || size < RecordBatch.HeaderSize || position + size > _size)
            {
                (position, offset) = (0, BaseOffset);
            }
        }
        while (position + head.Length <= _size)
        {
            _log.Read(position, head);
            var (baseOffset, size) = RecordBatch.ReadFrame(head);
            var next = baseOffset + System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(head[20..]);
            if (baseOffset != offset || size < RecordBatch.HeaderSize || position + size > _size || next > trustedOffset || next <= baseOffset)
            {
                break;
            }
            IndexIfMissing(baseOffset, position, size, System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(head[32..]));
            position += size;
            offset = next;
        }
        return (position, offset);
    }

    /// <summary>
    /// Appends an encoded batch whose base offset is already set, at monotonic time <paramref name="timestamp"/>
    /// (<see cref="TimeProvider.GetTimestamp"/>). Called under the partition lock.
    /// </summary>
    public void Append(in EncodedBatch batch, long baseOffset, long timestamp)
    {
        var position = _size;
        var end = position + batch.Length;
        if (end > _allocated && _preallocate > 0)
        {
            // Steps grow with the segment (as much again as it holds, from MinPreallocationStep) up to the configured
            // step: a busy partition soon allocates whole steps ahead, while each of a thousand quiet ones (a route
            // with a topic per device) costs tens of KiB instead of a whole step.
            var step = Math.Min(_preallocate, Math.Max(MinPreallocationStep, position));
            // Nothing is written yet: a full volume refuses the allocation and the batch alone (a full log).
            var target = (end + step - 1) / step * step;
            _log.Allocate(target);
            _allocated = target;
        }
        if (_zeroFill && _zeroed < _allocated && _zeroed < end + ZeroFillChunk / 2)
        {
            ZeroAhead(end);
        }
        // Coalesced only into allocated space, where a full volume cannot refuse the deferred write; without
        // preallocation every append writes through and meets ENOSPC itself (a full log, not a failed partition).
        var buffered = _preallocate > 0 && batch.Length <= MaxPendingBytes / 4;
        if (buffered && _pendingLength + batch.Length > MaxPendingBytes)
        {
            WritePending();
        }
        try
        {
            if (buffered)
            {
                Buffer(position, batch.Bytes);
            }
            else
            {
                WritePending();
                _log.Write(position, batch.Bytes);
            }
            IndexBatch(baseOffset, position, batch.Length, batch.MaxTimestamp);
        }
        catch when (!Damaged)
        {
            // A failed or short write (of the log or of an index: a full disk fails either) may have left bytes
            // behind: cut them so the next append starts on a boundary and a refused batch is not recovered later.
            if (buffered)
            {
                _pendingLength = (int)Math.Max(0, position - _pendingStart);
            }
            else
            {
                try
                {
                    _log.SetLength(position);
                    _allocated = position;
                }
                catch (IOException)
                {
                    Damaged = true;
                }
            }
            throw;
        }
        // Timestamps of the injected TimeProvider's monotonic clock: the wall clock may step (see StartAgeClock).
        if (_firstAppendAt == long.MinValue)
        {
            _firstAppendAt = timestamp;
        }
        _ageAnchor = timestamp;
        _ageAtAnchorMs = 0;
        Volatile.Write(ref _size, position + batch.Length);
        Volatile.Write(ref _nextOffset, baseOffset + batch.Count);
    }

    /// <summary>
    /// Writes the batches coalesced since the last call with one positional write. Called under the partition lock by
    /// a roll and when the buffer is full. A failure marks the segment <see cref="Damaged"/>: batches already appended
    /// were lost, so the partition must fail and reopen.
    /// </summary>
    public void WritePending() => WriteTaken(TakePending());

    /// <summary>
    /// Hands over the batches coalesced since the last call, for the flusher to write with <see cref="WriteTaken"/>
    /// after it lets go of the partition lock; appends that follow buffer anew, after them. Called under the partition lock.
    /// </summary>
    public PendingWrite TakePending()
    {
        if (_pendingLength == 0)
        {
            return default;
        }
        var taken = new PendingWrite(_pending!, _pendingStart, _pendingLength);
        _pendingStart += _pendingLength;
        _pendingLength = 0;
        // Held only while batches wait for a flush: an idle partition keeps no buffer.
        _pending = null;
        return taken;
    }

    /// <summary>
    /// Writes what <see cref="TakePending"/> handed over and gives its buffer back to the pool. A failure marks the
    /// segment <see cref="Damaged"/>. Writes of different hand-overs cover disjoint ranges, so they need no lock.
    /// </summary>
    public void WriteTaken(PendingWrite taken)
    {
        if (taken.Length == 0)
        {
            return;
        }
        try
        {
            _log.Write(taken.Start, taken.Buffer.AsSpan(0, taken.Length));
        }
        catch
        {
            Damaged = true;
            throw;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(taken.Buffer);
        }
    }

    /// <summary>
    /// Cuts a preallocated zero tail (after a roll, before the file is fsynced for the last time, and at close), so a
    /// sealed segment's file size is its data size. Called under the partition lock after <see cref="WritePending"/>.
    /// </summary>
    public void TrimToSize()
    {
        if (_allocated > _size || _log.Length > _size)
        {
            _log.SetLength(_size);
            _allocated = _size;
            _zeroed = _size;
        }
    }

    /// <summary>
    /// Writes zeros over allocated space past <paramref name="end"/>, a chunk ahead of the data. ext4 and XFS allocate
    /// with fallocate as unwritten extents: the first write to each block converts it, a metadata change that makes
    /// the fdatasync of every commit that reaches a new block commit the file-system journal too. Written zeros are
    /// converted once per chunk, with the fdatasync that follows; later commits overwrite written blocks, which is
    /// what SQLite's reused WAL and PostgreSQL's zero-filled WAL segments get (<c>wal_init_zero</c>). Nothing is ever
    /// zeroed at or below <paramref name="end"/>, where this batch and every buffered one go.
    /// </summary>
    private void ZeroAhead(long end)
    {
        var from = Math.Max(_zeroed, end);
        var to = Math.Min(_allocated, from + ZeroFillChunk);
        try
        {
            for (var position = from; position < to; position += Zeros.Length)
            {
                _log.Write(position, Zeros.AsSpan(0, (int)Math.Min(Zeros.Length, to - position)));
            }
            _zeroed = to;
        }
        catch (IOException)
        {
            // Only speed is lost: allocated space reads as zeros anyway, and a failing disk meets the data's own write.
            _zeroed = long.MaxValue;
        }
    }

    private void Buffer(long position, ReadOnlySpan<byte> bytes)
    {
        if (_pendingLength == 0)
        {
            _pendingStart = position;
        }
        if (_pending is null || _pending.Length < _pendingLength + bytes.Length)
        {
            var bigger = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(16 << 10, Math.Min(MaxPendingBytes, 2 * (_pendingLength + bytes.Length))));
            if (_pending is not null)
            {
                _pending.AsSpan(0, _pendingLength).CopyTo(bigger);
                System.Buffers.ArrayPool<byte>.Shared.Return(_pending);
            }
            _pending = bigger;
        }
        bytes.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += bytes.Length;
    }

    private void DropPending()
    {
        _pendingLength = 0;
        if (_pending is { } buffer)
        {
            _pending = null;
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// fsyncs the log, then publishes <paramref name="size"/> as durable. The indexes are fsynced only with
    /// <see cref="FlushIndexes"/> before a recovery point is written: recovery re-indexes whatever follows it, so
    /// skipping two fsyncs per commit costs nothing in safety.
    /// </summary>
    public void Flush(long size)
    {
        _log.Flush();
        if (size > Volatile.Read(ref _durableSize))
        {
            Volatile.Write(ref _durableSize, size);
        }
    }

    /// <summary>fsyncs the log and both indexes (recovery, before anything it scanned is served).</summary>
    public void FlushAll()
    {
        _log.Flush();
        FlushIndexes();
    }

    public void FlushIndexes()
    {
        Offsets.Flush();
        Times.Flush();
    }

    /// <summary>Records the segment's max timestamp as the final time-index entry (Kafka does the same on roll).</summary>
    public void Seal()
    {
        if (_maxTimestamp != long.MinValue)
        {
            Times.MaybeAppend(_maxTimestamp, (int)(NextOffset - 1 - BaseOffset));
        }
    }

    public int Read(long position, Span<byte> buffer) => _log.Read(position, buffer);

    public bool TryAcquire()
    {
        while (true)
        {
            var n = Volatile.Read(ref _references);
            if (n == 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _references, n + 1, n) == n)
            {
                return true;
            }
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            DropPending();
            _log.Dispose();
            Offsets.Dispose();
            Times.Dispose();
            if (Volatile.Read(ref _deleted) == 1)
            {
                DeleteFiles();
            }
        }
    }

    /// <summary>Marks the segment deleted: its files go once the last reader releases it.</summary>
    public void Delete()
    {
        if (Interlocked.Exchange(ref _deleted, 1) == 0)
        {
            Release();
        }
    }

    /// <summary>Closes the files (at log close); the segment stays on disk.</summary>
    public void Close()
    {
        if (Volatile.Read(ref _deleted) == 0)
        {
            Release();
        }
    }

    private ScanResult RebuildIndexes(long position)
    {
        Offsets.Reset();
        Times.Reset();
        _bytesSinceIndex = _bytesSinceTimeIndex = int.MaxValue / 2;
        var result = SegmentScanner.Scan(_log, position, BaseOffset, (info, pos) => IndexBatch(info.BaseOffset, pos, info.TotalSize, info.MaxTimestamp));
        Seal();
        Offsets.Flush();
        Times.Flush();
        return result;
    }

    private ScanResult ScanFrom(long position, long expectedOffset)
    {
        _bytesSinceIndex = _bytesSinceTimeIndex = int.MaxValue / 2;
        return SegmentScanner.Scan(_log, position, expectedOffset, (info, pos) => IndexIfMissing(info.BaseOffset, pos, info.TotalSize, info.MaxTimestamp));
    }

    /// <summary>Indexes a batch found by recovery unless the loaded index already reaches past it (entries strictly increase).</summary>
    private void IndexIfMissing(long baseOffset, long position, int size, long maxTimestamp)
    {
        if (Offsets.LastPosition < position)
        {
            IndexBatch(baseOffset, position, size, maxTimestamp);
        }
        else
        {
            _maxTimestamp = Math.Max(_maxTimestamp, maxTimestamp);
        }
    }

    private void IndexBatch(long baseOffset, long position, int length, long maxTimestamp)
    {
        var relative = (int)(baseOffset - BaseOffset);
        if (_bytesSinceIndex >= _indexInterval)
        {
            Offsets.Append(relative, (int)position);
            _bytesSinceIndex = 0;
        }
        if (maxTimestamp > _maxTimestamp)
        {
            if (_bytesSinceTimeIndex >= _indexInterval)
            {
                Times.MaybeAppend(maxTimestamp, relative);
                _bytesSinceTimeIndex = 0;
            }
            _maxTimestamp = maxTimestamp;
        }
        _bytesSinceIndex += length;
        _bytesSinceTimeIndex += length;
    }

    private void DeleteFiles()
    {
        _storage.DeleteFile(LogPath);
        _storage.DeleteFile(SegmentFiles.IndexPath(LogPath));
        _storage.DeleteFile(SegmentFiles.TimeIndexPath(LogPath));
        try
        {
            // An undone deletion would bring an old segment back after a power cut (and records already dropped).
            _storage.SyncDirectory(Path.GetDirectoryName(LogPath)!);
        }
        catch (IOException)
        {
            // Runs on the last reader's release: a resurrected old segment is harmless, failing that read is not.
        }
    }

    /// <summary>Coalesced batches taken out of a segment's buffer: <paramref name="Length"/> bytes of <paramref name="Buffer"/> belong at <paramref name="Start"/>.</summary>
    internal readonly record struct PendingWrite(byte[] Buffer, long Start, int Length);
}
