using EdgeStream.Log.Storage;

namespace EdgeStream.TestKit;

/// <summary>A full volume as Linux reports it: writes stop part-way and fail with ENOSPC (HResult 28, as .NET raises it).</summary>
internal sealed partial class FaultyStorage
{
    private const int Enospc = 28;

    /// <summary>While set, every write to a .log file writes half its bytes, then fails with ENOSPC.</summary>
    public bool VolumeFull { get; set; }

    private void FailIfVolumeFull(ILogFile file, long position, ReadOnlySpan<byte> data)
    {
        if (VolumeFull)
        {
            file.Write(position, data[..(data.Length / 2)]);
            throw new IOException($"No space left on device : '{file.Path}'", Enospc);
        }
    }
}
