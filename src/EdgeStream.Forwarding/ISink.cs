namespace EdgeStream.Forwarding;

/// <summary>
/// An upstream a forwarding loop delivers batches to. The engine calls <see cref="SendAsync"/> for one partition at a
/// time per loop, but loops of different partitions call it concurrently, so implementations must be thread-safe.
/// </summary>
public interface ISink : IAsyncDisposable
{
    /// <summary>
    /// Delivers <paramref name="batch"/> and completes only once the upstream has acknowledged every record that is
    /// not in <see cref="SendResult.Rejected"/>. Throwing means "nothing is confirmed, retry the whole batch later";
    /// the engine backs off and resends the same records with the same ids, so upstream can de-duplicate.
    /// Records must reach the upstream in batch order.
    /// </summary>
    Task<SendResult> SendAsync(SinkBatch batch, CancellationToken cancellationToken);
}
