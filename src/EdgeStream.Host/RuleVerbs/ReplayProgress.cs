using System.Globalization;

namespace EdgeStream.Host.RuleVerbs;

/// <summary>
/// Progress of a long replay on standard error (so standard output stays clean JSON lines): at most once a second,
/// records read of the total and the rate. Silent when standard error is redirected. Not thread-safe.
/// </summary>
internal sealed class ReplayProgress(TextWriter error, long total) : IProgress<long>
{
    private readonly long _start = TimeProvider.System.GetTimestamp();
    private readonly bool _enabled = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;
    private long _last;

    public void Report(long value)
    {
        var now = TimeProvider.System.GetTimestamp();
        if (!_enabled || TimeProvider.System.GetElapsedTime(_last, now) < TimeSpan.FromSeconds(1))
        {
            return;
        }
        _last = now;
        var seconds = Math.Max(0.001, TimeProvider.System.GetElapsedTime(_start, now).TotalSeconds);
        error.Write(string.Create(CultureInfo.InvariantCulture, $"\r  {value:N0} / {total:N0} records ({100.0 * value / Math.Max(1, total):F0}%, {value / seconds:N0}/s)   "));
    }

    public void Done(long value)
    {
        if (_enabled && _last != 0)
        {
            error.WriteLine();
        }
        _ = value;
    }
}
