using EdgeStream.Log;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStream.Host.Run;

/// <summary>
/// The asynchronous factory of the host's <see cref="LogStore"/> singleton. Opening may run a recovery scan, so it is
/// awaited once by <see cref="RunHost"/> after the options are validated and before the host starts (every stage takes
/// the store in its constructor); resolving the store earlier is a programming error. The container disposes the
/// store with the host, after every stage has stopped: stop ingest → drain → close the log. Not thread-safe: opened once.
/// </summary>
internal sealed class LogOpener(IOptions<LogOptions> options, ILoggerFactory loggers, TimeProvider time)
{
    private LogStore? _store;

    /// <summary>The open store.</summary>
    /// <exception cref="InvalidOperationException">Before <see cref="OpenAsync"/> completed.</exception>
    public LogStore Store => _store ?? throw new InvalidOperationException("The log is not open yet: open it with LogOpener.OpenAsync before starting the host.");

    /// <summary>Opens (and recovers) the log with the host's logging and clock.</summary>
    /// <exception cref="LogException">The log cannot be opened (locked, unreadable, …).</exception>
    public async Task<LogStore> OpenAsync(CancellationToken cancellationToken)
    {
        if (_store is not null)
        {
            throw new InvalidOperationException("The log is already open.");
        }
        return _store = await LogStore.OpenAsync(options.Value, loggers, time, cancellationToken);
    }
}
