namespace EdgeStream.TestKit;

/// <summary>
/// Holds the next write of a .log file through <see cref="FaultyStorage"/> on its writing thread, as a slow SD card
/// would, until <see cref="Release"/>. Later writes pass.
/// </summary>
internal sealed class HeldSegmentWrite : IDisposable
{
    private readonly SemaphoreSlim _writing = new(0);
    private readonly SemaphoreSlim _release = new(0);
    private int _armed = 1;

    public HeldSegmentWrite(FaultyStorage storage)
    {
        storage.BeforeSegmentWrite = _ =>
        {
            if (Interlocked.Exchange(ref _armed, 0) == 1)
            {
                _writing.Release();
                _release.Wait(TimeSpan.FromSeconds(30));
            }
        };
    }

    /// <summary>True once the held write has started (within 10 s).</summary>
    public Task<bool> StartedAsync(CancellationToken cancellationToken) => _writing.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);

    /// <summary>Lets the held write go on.</summary>
    public void Release() => _release.Release();

    public void Dispose()
    {
        _writing.Dispose();
        _release.Dispose();
    }
}
