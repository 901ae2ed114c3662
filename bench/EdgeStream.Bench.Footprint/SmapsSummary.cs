using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace EdgeStream.Bench.Footprint;

/// <summary>
/// Where a process's RSS sits, from /proc/PID/smaps: resident kB summed per (file, permissions), largest first. For the
/// NativeAOT build the executable shows as its code (r-xp), its read-only data (r--p: .rodata with the dehydrated type
/// data, unwind tables) and its writable data; the anonymous mapping right after it is .bss plus .hydrated (the type
/// data the runtime expands at start), which is labelled here because smaps gives it no name.
/// </summary>
internal static partial class SmapsSummary
{
    [GeneratedRegex(@"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")]
    private static partial Regex Header();

    public static string Describe(int pid, int top = 10)
    {
        var groups = new Dictionary<string, (long RssKb, long SizeKb, int Count)>(StringComparer.Ordinal);
        string? previousFile = null;
        string? key = null;
        long start = 0, end = 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
            {
                var m = Header().Match(line);
                if (m.Success)
                {
                    start = long.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    end = long.Parse(m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    var path = m.Groups[4].Value.Trim();
                    var perms = m.Groups[3].Value;
                    var name = path.Length == 0
                        ? (previousFile is not null && perms == "rw-p" ? $"{previousFile} {(previousFile == "edgestream" ? ".bss+.hydrated" : ".bss")}" : "[anon]")
                        : Path.GetFileName(path) is { Length: > 0 } file ? file : path;
                    previousFile = path.StartsWith('/') ? Path.GetFileName(path) : null;
                    key = $"{perms} {name}";
                    continue;
                }
                if (key is not null && line.StartsWith("Rss:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line[4..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                    groups.TryGetValue(key, out var g);
                    groups[key] = (g.RssKb + kb, g.SizeKb + (end - start) / 1024, g.Count + 1);
                }
            }
        }
        catch (IOException)
        {
            return "  (process gone)";
        }
        var text = new StringBuilder();
        foreach (var (k, g) in groups.OrderByDescending(g => g.Value.RssKb).Take(top))
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"    {g.RssKb / 1024.0,7:F1} MB resident of {g.SizeKb / 1024.0,9:F1} MB mapped in {g.Count,3} mappings: {k}"));
        }
        return text.ToString().TrimEnd();
    }
}
