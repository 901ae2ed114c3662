namespace EdgeStream.Http.Health;

/// <summary>
/// Health-check tags. <c>/healthz</c> runs only checks tagged <see cref="Live"/> (none by default: answering at all
/// proves the process lives); <c>/readyz</c> runs every registered check, so stages that add their own (MQTT listener,
/// sinks) take part in readiness without changes here.
/// </summary>
internal static class HealthTags
{
    public const string Live = "live";
    public const string Ready = "ready";
}
