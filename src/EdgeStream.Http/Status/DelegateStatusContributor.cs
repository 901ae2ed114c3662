namespace EdgeStream.Http.Status;

/// <summary>A status section backed by a delegate (see <c>AddEdgeStreamStatus</c>). Immutable; thread-safe if the delegate is.</summary>
internal sealed class DelegateStatusContributor(string name, Func<object?> getStatus) : IStatusContributor
{
    public string Name { get; } = name;

    public object? GetStatus() => getStatus();
}
