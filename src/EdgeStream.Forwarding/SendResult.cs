using EdgeStream.Log;

namespace EdgeStream.Forwarding;

/// <summary>
/// The outcome of a successful <see cref="ISink.SendAsync"/>: every record was acknowledged except
/// <see cref="Rejected"/>, which upstream refused for good (the engine writes them to the dead-letter topic
/// <c>&lt;topic&gt;.dlq</c> and moves on). Immutable.
/// </summary>
/// <param name="Rejected">Records refused permanently, with the reason.</param>
public sealed record SendResult(IReadOnlyList<RejectedRecord> Rejected)
{
    /// <summary>Everything was delivered.</summary>
    public static SendResult Delivered { get; } = new([]);
}

/// <summary>A record upstream refused permanently.</summary>
/// <param name="Record">The record.</param>
/// <param name="Reason">Why, as upstream said it (status code and message).</param>
public sealed record RejectedRecord(StoredRecord Record, string Reason);
