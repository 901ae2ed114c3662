using Microsoft.Extensions.Hosting;

namespace EdgeStream.Http;

/// <summary>
/// The lifetime of the admin <c>WebApplication</c> embedded in the outer host: it does nothing, because the outer
/// host owns SIGTERM/Ctrl+C handling and start-up messages (the default console lifetime would register a second set
/// of signal handlers and print "Application started" twice). Stateless; thread-safe.
/// </summary>
internal sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
