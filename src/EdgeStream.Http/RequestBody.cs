using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace EdgeStream.Http;

/// <summary>Reads a whole request body up to a limit, whatever Kestrel's own limit says. Stateless.</summary>
internal static class RequestBody
{
    /// <summary>The body, or <c>null</c> when it is longer than <paramref name="maxBytes"/> (answer 413).</summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }
        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(request.ContentLength ?? 4096, maxBytes) + 1);
        try
        {
            while (true)
            {
                var read = await request.Body.ReadAsync(buffer.GetMemory(4096), cancellationToken);
                if (read == 0)
                {
                    return buffer.WrittenMemory;
                }
                buffer.Advance(read);
                if (buffer.WrittenCount > maxBytes)
                {
                    return null;
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's MaxRequestBodySize (set to the same limit) tripped first on a chunked body.
            return null;
        }
    }
}
