namespace EdgeStream.Log.Storage;

/// <summary>
/// A file the log writes and reads by position. Positional calls are thread-safe (pread/pwrite); callers
/// serialize writes to one region themselves.
/// </summary>
internal interface ILogFile : IDisposable
{
    string Path { get; }

    long Length { get; }

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="position"/>, or throws.</summary>
    void Write(long position, ReadOnlySpan<byte> data);

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes; fewer only at end of file.</summary>
    int Read(long position, Span<byte> buffer);

    /// <summary>fsync: everything written so far is on stable storage when this returns.</summary>
    void Flush();

    void SetLength(long length);

    /// <summary>
    /// Makes the file at least <paramref name="length"/> bytes long with its blocks allocated (the new bytes read as
    /// zeros), so later writes below that length change no file size and need no block allocation at fsync time.
    /// Throws like a write when the volume is full. The default only sets the length (sparse: the size change is saved).
    /// </summary>
    void Allocate(long length)
    {
        if (Length < length)
        {
            SetLength(length);
        }
    }
}
