namespace EdgeStream.Http.Metrics;

/// <summary>
/// Compares a measurement's tags (as the listener hands them over, a span) with a stored copy, so a measurement finds
/// its series without building its label text: the text is made once per series, not once per measurement, which on
/// the MQTT ingest path (several measurements per message) was a string and a sort per measurement. Tags compare by
/// name (ordinal) and value (<see cref="object.Equals(object, object)"/>), in the order given. Stateless; thread-safe.
/// </summary>
internal sealed class TagSetComparer
    : IEqualityComparer<KeyValuePair<string, object?>[]>, IAlternateEqualityComparer<ReadOnlySpan<KeyValuePair<string, object?>>, KeyValuePair<string, object?>[]>
{
    public static readonly TagSetComparer Instance = new();

    public bool Equals(KeyValuePair<string, object?>[]? x, KeyValuePair<string, object?>[]? y)
        => x is not null && y is not null && Equals(x.AsSpan(), y);

    public int GetHashCode(KeyValuePair<string, object?>[] tags) => GetHashCode(tags.AsSpan());

    public bool Equals(ReadOnlySpan<KeyValuePair<string, object?>> tags, KeyValuePair<string, object?>[] other)
    {
        if (tags.Length != other.Length)
        {
            return false;
        }
        for (var i = 0; i < tags.Length; i++)
        {
            if (!string.Equals(tags[i].Key, other[i].Key, StringComparison.Ordinal) || !Equals(tags[i].Value, other[i].Value))
            {
                return false;
            }
        }
        return true;
    }

    public int GetHashCode(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var hash = new HashCode();
        foreach (var (key, value) in tags)
        {
            hash.Add(key, StringComparer.Ordinal);
            hash.Add(value);
        }
        return hash.ToHashCode();
    }

    public KeyValuePair<string, object?>[] Create(ReadOnlySpan<KeyValuePair<string, object?>> tags) => tags.ToArray();
}
