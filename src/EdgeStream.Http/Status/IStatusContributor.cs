namespace EdgeStream.Http.Status;

/// <summary>
/// A section of <c>/api/status</c> supplied by another stage (sinks, sensors, MQTT): register implementations in the
/// host's container (or use <c>services.AddEdgeStreamStatus(name, sp =&gt; ...)</c>); each becomes a top-level property
/// named <see cref="Name"/>. Implementations must be thread-safe and cheap: they run on every status request (the page
/// polls every 2 s).
/// </summary>
public interface IStatusContributor
{
    /// <summary>
    /// The section's property name, e.g. <c>sinks</c> or <c>sensors</c>. <c>time</c>, <c>topics</c> and
    /// <c>cursors</c> are reserved; a contributor using one (or a name already taken) is skipped with a warning.
    /// </summary>
    string Name { get; }

    /// <summary>
    /// A snapshot as a <see cref="System.Text.Json.JsonElement"/> or <see cref="System.Text.Json.Nodes.JsonNode"/> (or null),
    /// written as is; any other object becomes <c>{"error": ...}</c>, since serializing it would take reflection, which
    /// the shipped NativeAOT build does not have (<c>AddEdgeStreamStatus</c> with a <c>JsonTypeInfo</c> does it
    /// source-generated). An exception becomes <c>{"error": message}</c> in the section.
    /// </summary>
    object? GetStatus();
}
