using EdgeStream.Log.Storage;

namespace EdgeStream.TestKit;

/// <summary>
/// A directory tree that forgets, at a simulated power cut, everything that was not made durable — under the strict
/// POSIX rules, not ext4's friendlier habits:
/// <list type="bullet">
/// <item>a file's content falls back to what it held at its last fsync (never fsynced: empty); optionally a torn
/// last page keeps part of the data written after it;</item>
/// <item>a directory's entries fall back to what they were at its last fsync: files and directories created since
/// vanish, deleted ones come back, a rename is undone (the old name again holds the old file).</item>
/// </list>
/// A crash (<see cref="Kill"/>) only ends the "process": the page cache, i.e. the real files, survives. Each process
/// gets its own <see cref="FaultyStorage"/> from <see cref="NewProcess"/>; once killed, every call of that process
/// throws, so a dead log can neither write nor fsync anything (its disposal then only releases handles and the lock).
/// The real files always show the page cache; this class keeps the durable image beside it. fsync itself is not
/// issued to the real disk (the image is what counts), which keeps power-cut tests fast. Thread-safe (one lock).
/// Files the log does not create through the storage (the <c>lock</c> file) are left alone.
/// </summary>
internal sealed class PowerCutDisk
{
    private readonly Lock _lock = new();
    private readonly string _root;
    // Every file and directory below the root as the running process sees it (the page cache).
    private readonly Dictionary<string, Node> _live = new(StringComparer.Ordinal);
    // Per directory, its entries as of its last fsync.
    private readonly Dictionary<string, Dictionary<string, Node>> _durable = new(StringComparer.Ordinal);
    private int _generation;

    /// <summary>Takes everything already under <paramref name="root"/> as durable.</summary>
    public PowerCutDisk(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
        Snapshot(_root);
    }

    /// <summary>Files that lost data at the last power cut, and whether a torn page was kept.</summary>
    public List<string> LastCut { get; } = [];

    /// <summary>A new process's view of the disk: its storage dies at the next <see cref="Kill"/> or <see cref="PowerCut"/>.</summary>
    public FaultyStorage NewProcess()
    {
        lock (_lock)
        {
            return new FaultyStorage(this, _generation);
        }
    }

    /// <summary>The process dies (SIGKILL): its storage refuses every further call; file contents survive.</summary>
    public void Kill()
    {
        lock (_lock)
        {
            _generation++;
        }
    }

    /// <summary>
    /// The power goes: the running process dies and the tree falls back to its durable image. With
    /// <paramref name="torn"/>, a file that had data written past its last fsync may keep a random part of it.
    /// </summary>
    public void PowerCut(Random? torn = null)
    {
        lock (_lock)
        {
            _generation++;
            LastCut.Clear();
            var keep = new Dictionary<string, Node>(StringComparer.Ordinal);
            Walk(_root, keep);
            var contents = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var (path, node) in keep)
            {
                if (node.IsDirectory)
                {
                    continue;
                }
                var content = node.Durable;
                if (torn is not null && _live.TryGetValue(path, out var now) && ReferenceEquals(now, node) && File.Exists(path) && torn.Next(2) == 0)
                {
                    var cache = File.ReadAllBytes(path);
                    if (cache.Length > content.Length && cache.AsSpan(0, content.Length).SequenceEqual(content))
                    {
                        var kept = torn.Next(1, cache.Length - content.Length + 1);
                        content = cache[..(content.Length + kept)];
                        LastCut.Add($"{path}: torn page kept {kept} of {cache.Length - content.Length + kept} unsynced bytes");
                    }
                }
                contents[path] = content;
            }
            foreach (var path in _live.Keys.Where(p => !keep.ContainsKey(p)).OrderByDescending(p => p.Length))
            {
                if (_live[path].IsDirectory)
                {
                    if (Directory.Exists(path))
                    {
                        Directory.Delete(path, recursive: true);
                    }
                }
                else if (File.Exists(path))
                {
                    File.Delete(path);
                }
                LastCut.Add($"{path}: entry not durable, gone");
            }
            foreach (var (path, node) in keep.OrderBy(k => k.Key.Length))
            {
                if (node.IsDirectory)
                {
                    Directory.CreateDirectory(path);
                    continue;
                }
                var content = contents[path];
                if (!File.Exists(path) || !File.ReadAllBytes(path).AsSpan().SequenceEqual(content))
                {
                    LastCut.Add($"{path}: back to {content.Length} durable bytes");
                }
                File.WriteAllBytes(path, content);
                node.Durable = content;
            }
            _live.Clear();
            _durable.Clear();
            foreach (var (path, node) in keep)
            {
                _live[path] = node;
            }
            _durable[_root] = [];
            foreach (var (path, node) in keep)
            {
                if (node.IsDirectory)
                {
                    _durable.TryAdd(path, []);
                }
                var parent = Path.GetDirectoryName(path)!;
                if (!_durable.TryGetValue(parent, out var entries))
                {
                    _durable[parent] = entries = [];
                }
                entries[Path.GetFileName(path)] = node;
            }
        }
    }

    internal ILogFile Open(int generation, string path, bool createIfMissing)
    {
        lock (_lock)
        {
            Alive(generation);
            path = Path.GetFullPath(path);
            var existed = File.Exists(path);
            var inner = FileLogStorage.Instance.Open(path, createIfMissing);
            if (!_live.TryGetValue(path, out var node))
            {
                node = new Node(false) { Durable = existed ? ReadAll(inner) : [] };
                _live[path] = node;
                if (existed)
                {
                    // Put there by the test itself, outside any process: count it as durable.
                    DurableEntries(Path.GetDirectoryName(path)!)[Path.GetFileName(path)] = node;
                }
            }
            return new ModelFile(this, generation, node, inner);
        }
    }

    internal void Delete(int generation, string path)
    {
        lock (_lock)
        {
            Alive(generation);
            path = Path.GetFullPath(path);
            FileLogStorage.Instance.DeleteFile(path);
            _live.Remove(path);
        }
    }

    internal void Replace(int generation, string source, string destination)
    {
        lock (_lock)
        {
            Alive(generation);
            source = Path.GetFullPath(source);
            destination = Path.GetFullPath(destination);
            FileLogStorage.Instance.Replace(source, destination);
            if (_live.Remove(source, out var node))
            {
                _live[destination] = node;
            }
        }
    }

    internal void CreateDirectory(int generation, string path)
    {
        lock (_lock)
        {
            Alive(generation);
            path = Path.GetFullPath(path);
            FileLogStorage.Instance.CreateDirectory(path);
            for (var dir = path; dir.Length > _root.Length && dir.StartsWith(_root, StringComparison.Ordinal); dir = Path.GetDirectoryName(dir)!)
            {
                _live.TryAdd(dir, new Node(true));
            }
        }
    }

    internal void SyncDirectory(int generation, string path)
    {
        lock (_lock)
        {
            Alive(generation);
            path = Path.GetFullPath(path);
            var entries = new Dictionary<string, Node>(StringComparer.Ordinal);
            foreach (var (p, node) in _live)
            {
                if (Path.GetDirectoryName(p) == path)
                {
                    entries[Path.GetFileName(p)] = node;
                }
            }
            _durable[path] = entries;
        }
    }

    internal void Check(int generation)
    {
        lock (_lock)
        {
            Alive(generation);
        }
    }

    private Dictionary<string, Node> DurableEntries(string directory)
    {
        if (!_durable.TryGetValue(directory, out var entries))
        {
            _durable[directory] = entries = [];
        }
        return entries;
    }

    private void Alive(int generation)
    {
        if (generation != _generation)
        {
            throw new IOException("Injected: this process is dead (killed or power cut).");
        }
    }

    private void Walk(string directory, Dictionary<string, Node> keep)
    {
        if (!_durable.TryGetValue(directory, out var entries))
        {
            return;
        }
        foreach (var (name, node) in entries)
        {
            var path = Path.Combine(directory, name);
            keep[path] = node;
            if (node.IsDirectory)
            {
                Walk(path, keep);
            }
        }
    }

    private void Snapshot(string directory)
    {
        var entries = DurableEntries(directory);
        foreach (var sub in Directory.EnumerateDirectories(directory))
        {
            var node = new Node(true);
            _live[sub] = node;
            entries[Path.GetFileName(sub)] = node;
            Snapshot(sub);
        }
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            if (directory == _root && Path.GetFileName(file) == "lock")
            {
                continue;
            }
            var node = new Node(false) { Durable = File.ReadAllBytes(file) };
            _live[file] = node;
            entries[Path.GetFileName(file)] = node;
        }
    }

    private static byte[] ReadAll(ILogFile file)
    {
        var bytes = new byte[file.Length];
        file.Read(0, bytes);
        return bytes;
    }

    private sealed class Node(bool isDirectory)
    {
        public bool IsDirectory { get; } = isDirectory;

        public byte[] Durable { get; set; } = [];
    }

    /// <summary>A file of one process: every call checks the process is alive; fsync snapshots the durable image.</summary>
    private sealed class ModelFile(PowerCutDisk disk, int generation, Node node, ILogFile inner) : ILogFile
    {
        public string Path => inner.Path;

        public long Length
        {
            get
            {
                lock (disk._lock)
                {
                    disk.Alive(generation);
                    return inner.Length;
                }
            }
        }

        public void Write(long position, ReadOnlySpan<byte> data)
        {
            lock (disk._lock)
            {
                disk.Alive(generation);
                inner.Write(position, data);
            }
        }

        public int Read(long position, Span<byte> buffer)
        {
            lock (disk._lock)
            {
                disk.Alive(generation);
                return inner.Read(position, buffer);
            }
        }

        public void Flush()
        {
            lock (disk._lock)
            {
                disk.Alive(generation);
                node.Durable = ReadAll(inner);
            }
        }

        public void SetLength(long length)
        {
            lock (disk._lock)
            {
                disk.Alive(generation);
                inner.SetLength(length);
            }
        }

        public void Dispose() => inner.Dispose();
    }
}
