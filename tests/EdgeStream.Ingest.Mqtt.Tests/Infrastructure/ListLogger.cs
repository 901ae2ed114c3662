using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Ingest.Mqtt.Tests.Infrastructure;

/// <summary>Collects log entries (event id, level, message) for assertions and failure diagnostics.</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(EventId Id, LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => Entries.Enqueue((eventId, logLevel, formatter(state, exception) + (exception is null ? "" : " | " + exception)));

    public override string ToString() => string.Join(Environment.NewLine, Entries.Select(e => $"{e.Level} {e.Id.Id}: {e.Message}"));
}
