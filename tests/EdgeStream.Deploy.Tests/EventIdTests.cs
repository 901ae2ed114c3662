using System.Text.RegularExpressions;

namespace EdgeStream.Deploy.Tests;

/// <summary>Holds docs/events.md to the <c>[LoggerMessage]</c> events in src/: all listed, none sharing an id.</summary>
public sealed partial class EventIdTests
{
    [Fact]
    public void Every_event_id_in_src_is_documented_in_docs_events_md()
    {
        var documented = DocumentedIds().ToHashSet();
        var missing = Events().Where(e => !documented.Contains(e.Id)).Select(e => $"{e.Id} ({e.Where})").ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void No_event_id_is_used_twice_in_src()
    {
        var events = Events();
        Assert.NotEmpty(events);
        var twice = events.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Where))}").ToList();
        Assert.Empty(twice);
    }

    private static List<(int Id, string Where)> Events()
    {
        var events = new List<(int, string)>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Repo.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal)))
        {
            foreach (Match m in LoggerMessage().Matches(File.ReadAllText(file)))
            {
                var id = m.Groups["named"].Success ? m.Groups["named"].Value : m.Groups["positional"].Value;
                events.Add((int.Parse(id, System.Globalization.CultureInfo.InvariantCulture), $"{Path.GetFileName(file)} {m.Groups["method"].Value}"));
            }
        }
        return events;
    }

    private static IEnumerable<int> DocumentedIds()
        => File.ReadAllLines(Path.Combine(Repo.Root, "docs", "events.md"))
            .Select(l => DocRow().Match(l))
            .Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

    // [LoggerMessage(1000, ...)] or [LoggerMessage(EventId = 1000, ...)], then the method it decorates.
    [GeneratedRegex(@"\[LoggerMessage\((?:\s*(?<positional>\d+)|[^)]*?EventId\s*=\s*(?<named>\d+))[^\]]*\]\s*(?:\[[^\]]*\]\s*)*(?:public|private|internal)\s+static\s+partial\s+void\s+(?<method>\w+)")]
    private static partial Regex LoggerMessage();

    [GeneratedRegex(@"^\|\s*(\d+)\s*\|")]
    private static partial Regex DocRow();
}
