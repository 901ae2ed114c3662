namespace EdgeStream.Http.Status;

/// <summary>
/// The outer host's contributors, carried into the admin app's container as one object (an
/// <c>IEnumerable</c> registration would be resolved against the inner container and come back empty). Immutable.
/// </summary>
internal sealed class StatusContributors(IEnumerable<IStatusContributor> contributors)
{
    public IReadOnlyList<IStatusContributor> All { get; } = [.. contributors];
}
