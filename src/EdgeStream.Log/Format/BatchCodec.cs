using System.IO.Compression;
using K4os.Compression.LZ4;
using ZstdSharp;

namespace EdgeStream.Log.Format;

/// <summary>Compresses and decompresses a batch's records section with well-kept libraries. Thread-safe.</summary>
internal static class BatchCodec
{
    /// <summary>Compresses <paramref name="source"/> into a new array (exactly sized).</summary>
    public static byte[] Compress(CompressionCodec codec, ReadOnlySpan<byte> source)
    {
        switch (codec)
        {
            case CompressionCodec.Lz4:
                {
                    var target = new byte[LZ4Codec.MaximumOutputSize(source.Length)];
                    var n = LZ4Codec.Encode(source, target, LZ4Level.L00_FAST);
                    return target.AsSpan(0, n).ToArray();
                }
            case CompressionCodec.Zstd:
                {
                    using var compressor = new Compressor(3);
                    return compressor.Wrap(source).ToArray();
                }
            case CompressionCodec.Brotli:
                {
                    var target = new byte[BrotliEncoder.GetMaxCompressedLength(source.Length)];
                    if (!BrotliEncoder.TryCompress(source, target, out var n, quality: 4, window: 22))
                    {
                        throw new InvalidOperationException("Brotli compression failed.");
                    }
                    return target.AsSpan(0, n).ToArray();
                }
            case CompressionCodec.Gzip:
                {
                    using var ms = new MemoryStream();
                    using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
                    {
                        gz.Write(source);
                    }
                    return ms.ToArray();
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(codec), codec, "Not a compressing codec.");
        }
    }

    /// <summary>Decompresses into <paramref name="target"/>, whose length is the stored uncompressed length; false if the data is bad.</summary>
    public static bool TryDecompress(CompressionCodec codec, ReadOnlySpan<byte> source, Span<byte> target)
    {
        try
        {
            switch (codec)
            {
                case CompressionCodec.Lz4:
                    return LZ4Codec.Decode(source, target) == target.Length;
                case CompressionCodec.Zstd:
                    {
                        using var d = new Decompressor();
                        return d.TryUnwrap(source, target, out var n) && n == target.Length;
                    }
                case CompressionCodec.Brotli:
                    return BrotliDecoder.TryDecompress(source, target, out var written) && written == target.Length;
                case CompressionCodec.Gzip:
                    {
                        using var gz = new GZipStream(new MemoryStream(source.ToArray()), CompressionMode.Decompress);
                        var total = 0;
                        while (total < target.Length)
                        {
                            var n = gz.Read(target[total..]);
                            if (n == 0)
                            {
                                return false;
                            }
                            total += n;
                        }
                        return gz.ReadByte() < 0;
                    }
                default:
                    return false;
            }
        }
        catch (Exception e) when (e is InvalidDataException or ZstdException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }
}
