using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EdgeStream.Log;

namespace EdgeStream.Host.LogVerbs;

/// <summary>
/// <c>log verify</c>: checks every batch of every segment with <see cref="LogVerifier"/> (it reads files and never
/// opens or repairs the log). Prints every problem; exit code 1 when any is found, 0 when the log is sound.
/// On an interactive terminal a progress line is redrawn in place.
/// </summary>
internal static class VerifyVerb
{
    public static Command Create()
    {
        var data = LogAccess.DataOption();
        var command = new Command("verify", "Check every segment's batches (framing, CRC32C, offsets); exit 1 on corruption.") { data };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var directory = parse.GetValue(data)!;
            if (!Directory.Exists(Path.Combine(directory, "topics")))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"edgestream: no log in '{Path.GetFullPath(directory)}' (no topics/ directory)");
                return LogAccess.UsageError;
            }
            // Only a real terminal gets the redrawn line; a pipe or a test's writer gets the plain report.
            var interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
            var progress = interactive ? new ProgressLine(output) : null;
            var report = await LogVerifier.VerifyAsync(directory, progress, ct);
            progress?.Clear();
            foreach (var p in report.Problems)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"CORRUPT {p.Topic}/{p.Partition} {p.Segment} at byte {p.Position}: {p.Reason}{(p.SkippedOffsets is var (from, to) ? $" (offsets {from}..{to - 1} unreadable, skipped by readers)" : "")}"));
            }
            var verdict = report.Ok ? "OK" : string.Create(CultureInfo.InvariantCulture, $"{report.Problems.Count} problem(s)");
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Checked {report.Segments} segments, {report.Batches} batches, {report.Bytes} bytes: {verdict}"));
            return report.Ok ? 0 : 1;
        });
        return command;
    }

    /// <summary>
    /// A carriage-return progress line, at most ten redraws a second. Reports arrive synchronously on the verifier's
    /// thread (unlike <see cref="Progress{T}"/>, which would post them and could draw after the final report).
    /// </summary>
    private sealed class ProgressLine(TextWriter output) : IProgress<VerifyProgress>
    {
        private readonly Stopwatch _sinceDraw = Stopwatch.StartNew();
        private int _width;

        public void Report(VerifyProgress value)
        {
            if (_sinceDraw.ElapsedMilliseconds < 100 && value.BytesDone < value.BytesTotal)
            {
                return;
            }
            _sinceDraw.Restart();
            var percent = value.BytesTotal == 0 ? 100 : 100.0 * value.BytesDone / value.BytesTotal;
            var where = value.Topic is null ? "" : $" {value.Topic}/{value.Partition}";
            var line = string.Create(CultureInfo.InvariantCulture, $"Verifying {percent,5:0.0}% ({value.BytesDone >> 20}/{value.BytesTotal >> 20} MiB){where}");
            _width = Math.Max(_width, line.Length);
            output.Write("\r" + line.PadRight(_width));
        }

        public void Clear() => output.Write("\r" + new string(' ', _width) + "\r");
    }
}
