namespace EdgeStream.Log.Cursors;

/// <summary>The cursor flusher: group commit of every queued cursor commit and deletion.</summary>
internal sealed partial class CursorStore
{
    private const int MaxBatch = 1024;

    private async Task FlushLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<CursorOp>();
        // Ends when disposal completes the queue and everything queued before has been flushed.
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var op))
            {
                batch.Add(op);
            }
            try
            {
                Flush(batch);
            }
            catch (Exception e)
            {
                // Not only I/O errors: whatever went wrong, the waiters learn it and the flusher lives on.
                foreach (var op in batch)
                {
                    op.Done.TrySetException(e);
                }
            }
            batch.Clear();
        }
    }

    /// <summary>
    /// Applies the batch in order to a final state per cursor (the last commit wins; a deletion removes), writes it
    /// (each new file fsynced, then renamed into place), fsyncs every directory touched once, and only then publishes
    /// the new positions and completes the waiters.
    /// </summary>
    private void Flush(List<CursorOp> batch)
    {
        var final = new Dictionary<CursorKey, long?>();
        var deleted = new Dictionary<CursorOp, List<CursorPosition>>(ReferenceEqualityComparer.Instance);
        foreach (var op in batch)
        {
            if (op.Filter is not { } filter)
            {
                final[op.Key] = op.Offset;
                continue;
            }
            var gone = new List<CursorPosition>();
            foreach (var key in _positions.Keys.Concat(final.Keys).Where(filter.Matches).Distinct().ToList())
            {
                long? current = final.TryGetValue(key, out var pending) ? pending : _positions.TryGetValue(key, out var stored) ? stored : null;
                if (current is { } offset)
                {
                    gone.Add(key.At(offset));
                    final[key] = null;
                }
            }
            deleted[op] = gone;
        }

        var directories = new HashSet<string>(StringComparer.Ordinal);
        var renames = new List<(string Temp, string Path)>();
        foreach (var (key, value) in final)
        {
            var directory = DirectoryOf(key);
            var path = FileOf(directory, key.Partition);
            if (value is { } offset)
            {
                if (!_positions.ContainsKey(key))
                {
                    // A new cursor (or topic of it): its directories are entries of their parents.
                    _storage.CreateDirectory(directory);
                    directories.Add(Path.GetDirectoryName(directory)!);
                    directories.Add(_root);
                }
                var temp = path + ".tmp";
                using (var file = _storage.Open(temp, createIfMissing: true))
                {
                    file.SetLength(0);
                    file.Write(0, Encode(offset));
                    file.Flush();
                }
                renames.Add((temp, path));
                directories.Add(directory);
            }
            else if (_storage.FileExists(path))
            {
                _storage.DeleteFile(path);
                directories.Add(directory);
            }
        }
        foreach (var (temp, path) in renames)
        {
            _storage.Replace(temp, path);
        }
        foreach (var directory in directories)
        {
            _storage.SyncDirectory(directory);
        }

        var now = _time.GetTimestamp();
        foreach (var (key, value) in final)
        {
            if (value is { } offset)
            {
                _positions[key] = offset;
                _committedAt[key] = now;
            }
            else
            {
                _positions.TryRemove(key, out _);
                _committedAt.TryRemove(key, out _);
            }
        }
        foreach (var op in batch)
        {
            op.Done.TrySetResult(deleted.TryGetValue(op, out var gone) ? gone : []);
        }
    }
}
