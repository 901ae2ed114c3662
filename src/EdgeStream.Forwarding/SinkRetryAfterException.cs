namespace EdgeStream.Forwarding;

/// <summary>
/// Thrown by a sink when upstream asked to retry after a given delay (HTTP 429/503 <c>Retry-After</c>): the engine
/// waits that long instead of its own backoff delay.
/// </summary>
public sealed class SinkRetryAfterException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SinkRetryAfterException(string message, TimeSpan? retryAfter)
        : base(message)
    {
        RetryAfter = retryAfter;
    }

    /// <summary>Creates the exception with no delay hint.</summary>
    public SinkRetryAfterException()
        : this("Upstream asked to retry later.", (TimeSpan?)null)
    {
    }

    /// <summary>Creates the exception with no delay hint.</summary>
    public SinkRetryAfterException(string message)
        : this(message, (TimeSpan?)null)
    {
    }

    /// <summary>Creates the exception with no delay hint.</summary>
    public SinkRetryAfterException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>How long upstream asked to wait, if it said.</summary>
    public TimeSpan? RetryAfter { get; }
}
