namespace EdgeStream.Log;

/// <summary>A partition that stopped accepting appends after a failed write or fsync and is reopening itself.</summary>
/// <param name="Topic">Topic.</param>
/// <param name="Partition">Partition number.</param>
/// <param name="Error">The I/O error that failed it.</param>
/// <param name="FailedAt">When it failed (wall clock, for people).</param>
/// <param name="FailedFor">How long it has been failed without interruption (monotonic clock).</param>
/// <param name="ReopenAttempts">Reopen attempts that failed since.</param>
public sealed record PartitionFailure(string Topic, int Partition, string Error, DateTimeOffset FailedAt, TimeSpan FailedFor, int ReopenAttempts);
