namespace EdgeStream.Deploy.Tests;

/// <summary>A minimal reader of systemd unit files: sections, keys (repeatable), comments skipped.</summary>
internal sealed class UnitFile
{
    private readonly List<(string Section, string Key, string Value)> _entries = [];

    public static UnitFile Parse(string text)
    {
        var file = new UnitFile();
        var section = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }
            if (line[0] == '[' && line[^1] == ']')
            {
                section = line[1..^1];
                continue;
            }
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                file._entries.Add((section, line[..eq].Trim(), line[(eq + 1)..].Trim()));
            }
        }
        return file;
    }

    public IReadOnlyList<string> All(string section, string key) =>
        [.. _entries.Where(e => e.Section == section && e.Key == key).Select(e => e.Value)];

    public string Single(string section, string key) => Assert.Single(All(section, key));
}
