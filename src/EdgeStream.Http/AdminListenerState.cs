namespace EdgeStream.Http;

/// <summary>
/// Whether the admin server is listening, and where. Written once by <see cref="AdminWebServer"/> at start, read by
/// the readiness check and tests. Thread-safe (volatile publication of immutable values).
/// </summary>
internal sealed class AdminListenerState
{
    private volatile Uri? _address;
    private volatile bool _disabled;

    /// <summary>The bound base address (with the real port when the OS chose it), or <c>null</c> before start.</summary>
    public Uri? Address => _address;

    /// <summary>True when configuration disabled the server (port 0).</summary>
    public bool Disabled => _disabled;

    public void MarkListening(Uri address) => _address = address;

    public void MarkDisabled() => _disabled = true;

    public void MarkStopped() => _address = null;
}
