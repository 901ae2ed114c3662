using System.Diagnostics;

namespace EdgeStream.Log.Tests;

/// <summary>
/// Kills a real appender process with SIGKILL at random moments and checks that every append it saw acknowledged
/// under the <c>always</c> policy reads back identical after recovery.
/// </summary>
[Trait("Category", "Slow")]
public class CrashTests
{
    private static readonly string Child = Path.Combine(AppContext.BaseDirectory, "EdgeStream.Log.CrashChild.dll");

    [Fact]
    public async Task Every_acknowledged_append_survives_SIGKILL_across_many_crashes()
    {
        using var dir = new TempDir();
        var random = new Random(20261124);
        var acknowledged = new Dictionary<(int Partition, long Offset), string>();
        const int Iterations = 12;
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var seen = await RunAndKillAsync(dir.Path, $"i{iteration}", TimeSpan.FromMilliseconds(random.Next(150, 900)));
            foreach (var (key, value) in seen)
            {
                // An offset acknowledged earlier can never be handed out again.
                Assert.True(acknowledged.TryAdd(key, value), $"offset {key} acknowledged twice");
            }

            await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
            foreach (var partition in store.GetTopic("crash")?.Partitions ?? [])
            {
                var stored = (await LogTestKit.ReadAllAsync(store, "crash", partition.Partition)).ToDictionary(r => r.Offset, r => r.Text());
                foreach (var ((p, offset), value) in acknowledged.Where(a => a.Key.Partition == partition.Partition))
                {
                    Assert.True(stored.TryGetValue(offset, out var back), $"acknowledged {p}/{offset} missing after crash {iteration}");
                    Assert.True(value == back, $"{p}/{offset} after crash {iteration}: acknowledged '{value}', stored '{back}'");
                }
            }
            var report = await LogVerifier.VerifyAsync(dir.Path, cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(report.Ok, string.Join("; ", report.Problems.Select(p => p.Reason)));
        }
        Assert.True(acknowledged.Count > Iterations * 10, $"only {acknowledged.Count} appends were acknowledged");
    }

    private static async Task<List<((int, long), string)>> RunAndKillAsync(string data, string prefix, TimeSpan after)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Child);
        start.ArgumentList.Add(data);
        start.ArgumentList.Add(prefix);
        using var child = Process.Start(start)!;
        var lines = new List<((int, long), string)>();
        var reader = Task.Run(async () =>
        {
            while (await child.StandardOutput.ReadLineAsync() is { } line)
            {
                // The kill can cut the last line short: only a value of its announced length was acknowledged whole.
                var parts = line.Split(' ', 4);
                if (parts.Length == 4 && int.TryParse(parts[0], out var p) && long.TryParse(parts[1], out var o)
                    && int.TryParse(parts[2], out var length) && parts[3].Length == length)
                {
                    lines.Add(((p, o), parts[3]));
                }
            }
        });
        // Wait for the first acknowledgement so the kill lands mid-stream, then a random while longer.
        await Poll.UntilAsync(() => lines.Count > 0 || child.HasExited, what: "the child's first acknowledgement");
        // Where the kill lands (fault injection), not synchronisation: any moment must be survivable.
        await Task.Delay(after);
        child.Kill(entireProcessTree: true);
        await child.WaitForExitAsync();
        await reader;
        Assert.True(lines.Count > 0, "the child acknowledged nothing: " + await child.StandardError.ReadToEndAsync());
        return lines;
    }
}
