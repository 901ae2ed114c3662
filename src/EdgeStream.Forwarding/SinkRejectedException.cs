namespace EdgeStream.Forwarding;

/// <summary>
/// Thrown by a sink when upstream refuses the sink itself rather than a record: bad credentials, missing permission,
/// a wrong URL or topic, a redirect. Nothing is dead-lettered for it (the records are fine; the configuration is not):
/// the engine retries the batch with its capped exponential backoff and shows the sink as
/// <see cref="SinkState.Rejected"/> until a send succeeds.
/// </summary>
public sealed class SinkRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SinkRejectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SinkRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SinkRejectedException()
        : this("Upstream refused the sink's connection or credentials.")
    {
    }
}
