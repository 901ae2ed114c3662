using Microsoft.AspNetCore.Http;

namespace EdgeStream.Http.Pull;

/// <summary>
/// Keeps the pull API's hands off the forwarding engine's cursors: a cursor named like a configured sink
/// (<c>AddEdgeStreamSinkCursors</c>, e.g. <c>Forwarding:Sinks</c> names and <c>--sink</c> names) is answered 409, so
/// an upstream sync job with a clashing name cannot skip or replay what that sink forwards. Put on the endpoints that
/// change a cursor; reading one stays allowed. Immutable; thread-safe.
/// </summary>
internal sealed class SinkCursorGuard(SinkCursorNames sinks) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.HttpContext.Request.RouteValues["name"] is string name && sinks.Contains(name))
        {
            return ValueTask.FromResult<object?>(Problems.Create(StatusCodes.Status409Conflict,
                $"Cursor '{name}' belongs to the configured sink '{name}': only its forwarding loop moves it. Use another cursor name for a sync job."));
        }
        return next(context);
    }
}

/// <summary>The configured sinks' names (their cursors' names). Immutable; thread-safe.</summary>
internal sealed class SinkCursorNames(IEnumerable<string> names)
{
    private readonly HashSet<string> _names = new(names, StringComparer.Ordinal);

    public bool Contains(string name) => _names.Contains(name);
}

/// <summary>Sink names registered by the host (<c>AddEdgeStreamSinkCursors</c>), read from its container once at start. Immutable.</summary>
internal sealed class SinkCursorSource(Func<IServiceProvider, IEnumerable<string>> names)
{
    public IEnumerable<string> Get(IServiceProvider services) => names(services);
}
