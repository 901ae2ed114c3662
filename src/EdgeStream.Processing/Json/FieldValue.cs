namespace EdgeStream.Processing.Json;

/// <summary>The JSON type found at a pointer (<see cref="Missing"/> when the record lacks it).</summary>
internal enum FieldKind : byte
{
    Missing,
    Number,
    String,
    True,
    False,
    Null,
    Object,
    Array,
}

/// <summary>The value found at one pointer of one record. Strings are decoded into the extractor's char buffer
/// (<see cref="CharStart"/>, <see cref="CharLength"/>) so that reading a record allocates nothing.</summary>
internal struct FieldValue
{
    public FieldKind Kind;

    /// <summary>The number (for <see cref="FieldKind.Number"/>), or Unix milliseconds of a string that parsed as an
    /// ISO-8601 time (then <see cref="IsTime"/>).</summary>
    public double Number;

    public bool IsTime;

    public int CharStart;

    public int CharLength;

    /// <summary>Objects and arrays: where their raw JSON text sits in the record (for Select).</summary>
    public int RawStart;

    public int RawLength;
}
