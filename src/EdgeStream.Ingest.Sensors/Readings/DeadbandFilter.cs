namespace EdgeStream.Ingest.Sensors.Readings;

/// <summary>
/// Decides whether a reading is worth a record: always the first one; then when any quantity moved more than its
/// deadband since the last published value (a quantity without a deadband: any change), or when
/// <c>maxSilence</c> passed since the last publish. With no deadbands configured every reading passes.
/// Not thread-safe: one per sensor, used by its single reader loop.
/// </summary>
internal sealed class DeadbandFilter(IReadOnlyDictionary<string, double> deadbands, TimeSpan maxSilence)
{
    private readonly Dictionary<string, double> _published = new(StringComparer.Ordinal);
    private DateTimeOffset? _lastPublish;

    public bool ShouldPublish(IReadOnlyList<ReadingQuantity> quantities, DateTimeOffset now)
    {
        bool publish = deadbands.Count == 0 || _lastPublish is null || now - _lastPublish.Value >= maxSilence;
        if (!publish)
        {
            foreach (var q in quantities)
            {
                double band = deadbands.GetValueOrDefault(q.Name);
                if (!_published.TryGetValue(q.Name, out double last) || Math.Abs(q.Value - last) > band || (band == 0 && q.Value != last))
                {
                    publish = true;
                    break;
                }
            }
        }
        if (publish)
        {
            _lastPublish = now;
            foreach (var q in quantities)
            {
                _published[q.Name] = q.Value;
            }
        }
        return publish;
    }
}
