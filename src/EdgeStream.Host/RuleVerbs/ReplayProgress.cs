using System.Globalization;

namespace EdgeStream.Host.RuleVerbs;

/// <summary>
/// Progress of a long replay on standard error (standard output stays clean JSON lines): records read of the total,
/// the share and the rate. Quiet for the first second, so short runs print nothing. On a terminal one line redrawn in
/// place at most once a second; redirected (a script, a journal), a plain line every ten seconds. Reports arrive
/// synchronously on the replay's thread. Not thread-safe.
/// </summary>
internal sealed class ReplayProgress : IProgress<long>
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);

    private readonly TextWriter _error;
    private readonly long _total;
    private readonly bool _interactive;
    private readonly TimeProvider _time;
    private readonly TimeSpan _every;
    private readonly long _start;
    private long _last;
    private bool _drawn;

    public ReplayProgress(TextWriter error, long total, bool interactive, TimeProvider time)
    {
        _error = error;
        _total = total;
        _interactive = interactive;
        _time = time;
        _every = interactive ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(10);
        _start = _last = time.GetTimestamp();
    }

    /// <summary>Progress on <paramref name="error"/>, redrawn in place when it is the console's standard error on a terminal.</summary>
    public static ReplayProgress For(TextWriter error, long total)
        => new(error, total, ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected, TimeProvider.System);

    public void Report(long value)
    {
        var now = _time.GetTimestamp();
        if (_time.GetElapsedTime(_start, now) < Quiet || (_drawn && _time.GetElapsedTime(_last, now) < _every)
            || (!_drawn && !_interactive && _time.GetElapsedTime(_start, now) < _every))
        {
            return;
        }
        _last = now;
        Draw(value, now);
    }

    /// <summary>Ends the progress output: the final figures, when anything was shown.</summary>
    public void Done(long value)
    {
        if (_drawn)
        {
            Draw(value, _time.GetTimestamp());
            if (_interactive)
            {
                _error.WriteLine();
            }
        }
    }

    private void Draw(long value, long now)
    {
        var seconds = Math.Max(0.001, _time.GetElapsedTime(_start, now).TotalSeconds);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"  {value:N0} / {_total:N0} records ({100.0 * value / Math.Max(1, _total):F0}%, {value / seconds:N0}/s)");
        if (_interactive)
        {
            _error.Write("\r" + text + "   ");
        }
        else
        {
            _error.WriteLine(text);
        }
        _drawn = true;
    }
}
