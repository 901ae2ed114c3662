using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace EdgeStream.Http.Status;

/// <summary>
/// A status section backed by a delegate (see <c>AddEdgeStreamStatus</c>), serialized with source-generated metadata so
/// it works in trimmed and NativeAOT builds. Immutable; thread-safe if the delegate is.
/// </summary>
internal sealed class DelegateStatusContributor<T>(string name, Func<T?> getStatus, JsonTypeInfo<T> typeInfo) : IStatusContributor
{
    public string Name { get; } = name;

    public object? GetStatus() => getStatus() is { } status ? JsonSerializer.SerializeToElement(status, typeInfo) : null;
}
