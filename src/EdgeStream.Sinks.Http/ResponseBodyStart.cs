using System.Text;

namespace EdgeStream.Sinks.Http;

/// <summary>
/// Reads the start of an upstream's answer for an error message: at most <see cref="MaxBytes"/> bytes and never longer
/// than a given time, so that a huge, never-ending or slowly dripping body can neither fill memory nor hold a
/// partition's loop. Thread-safe (stateless).
/// </summary>
internal static class ResponseBodyStart
{
    /// <summary>Most body bytes read.</summary>
    public const int MaxBytes = 1024;

    /// <summary>Most characters kept in the message.</summary>
    public const int MaxChars = 200;

    /// <summary>
    /// The body's first bytes as text (invalid UTF-8 replaced, cut at <see cref="MaxChars"/>); what arrived so far when
    /// <paramref name="timeout"/> passes or the connection fails.
    /// </summary>
    public static async Task<string> ReadAsync(HttpContent content, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxBytes];
        var read = 0;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var stream = await content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
            while (read < buffer.Length)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), deadline.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
                read += n;
            }
        }
        catch (Exception e) when ((e is OperationCanceledException && !cancellationToken.IsCancellationRequested) || e is IOException or HttpRequestException)
        {
            // Slow or broken body: the status says what matters; keep what came.
        }
        var text = Encoding.UTF8.GetString(buffer, 0, read);
        return text.Length > MaxChars ? text[..MaxChars] : text;
    }
}
