using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace EdgeStream.Http.Status;

/// <summary>
/// A status section of any object, serialized by reflection (camelCase, enums as strings): for tests and tools, never
/// the shipped (trimmed/NativeAOT) build, which uses <see cref="DelegateStatusContributor{T}"/>. Thread-safe if the delegate is.
/// </summary>
[RequiresUnreferencedCode("Serializes the status object by reflection.")]
[RequiresDynamicCode("Serializes the status object by reflection.")]
internal sealed class ReflectionStatusContributor(string name, Func<object?> getStatus) : IStatusContributor
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    public string Name { get; } = name;

    public object? GetStatus() => getStatus() is { } status ? JsonSerializer.SerializeToElement(status, status.GetType(), Json) : null;
}
