namespace EdgeStream.Log;

/// <summary>Per-batch compression codec. The numeric value is stored in the batch attributes: never renumber.</summary>
public enum CompressionCodec
{
    /// <summary>Stored as is.</summary>
    None = 0,

    /// <summary>Gzip (System.IO.Compression).</summary>
    Gzip = 1,

    /// <summary>LZ4 block format (K4os.Compression.LZ4): cheapest CPU, good for a Pi.</summary>
    Lz4 = 2,

    /// <summary>Zstandard (ZstdSharp): best ratio per CPU.</summary>
    Zstd = 3,

    /// <summary>Brotli (System.IO.Compression).</summary>
    Brotli = 4,
}
