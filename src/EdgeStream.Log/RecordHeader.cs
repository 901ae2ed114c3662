namespace EdgeStream.Log;

/// <summary>A record header: a name (UTF-8 on disk) and a byte value.</summary>
/// <param name="Name">Header name; need not be unique.</param>
/// <param name="Value">Header value bytes.</param>
public readonly record struct RecordHeader(string Name, ReadOnlyMemory<byte> Value);
