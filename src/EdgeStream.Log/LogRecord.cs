namespace EdgeStream.Log;

/// <summary>
/// A record to append: timestamp, optional key, value and headers. The log stores the bytes untouched.
/// Immutable once constructed; safe to share between threads.
/// </summary>
public sealed class LogRecord
{
    private static readonly IReadOnlyList<RecordHeader> NoHeaders = [];

    /// <summary>Creates a record.</summary>
    /// <param name="value">The payload, stored byte for byte.</param>
    /// <param name="key">The partition key; <c>null</c> or empty means no key (round-robin placement). Empty counts as
    /// none because a null <c>byte[]</c> converts silently to an empty memory.</param>
    /// <param name="timestamp">Event or receive time; defaults to the log's clock at append.</param>
    /// <param name="headers">Named byte values carried with the record, in order.</param>
    public LogRecord(ReadOnlyMemory<byte> value, ReadOnlyMemory<byte>? key = null, DateTimeOffset? timestamp = null, IReadOnlyList<RecordHeader>? headers = null)
    {
        Value = value;
        Key = key is { Length: > 0 } ? key : null;
        Timestamp = timestamp;
        Headers = headers ?? NoHeaders;
    }

    /// <summary>The record's time; <c>null</c> until the log stamps it at append.</summary>
    public DateTimeOffset? Timestamp { get; }

    /// <summary>The partition key, or <c>null</c>.</summary>
    public ReadOnlyMemory<byte>? Key { get; }

    /// <summary>The payload.</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>Headers in the order given.</summary>
    public IReadOnlyList<RecordHeader> Headers { get; }
}
