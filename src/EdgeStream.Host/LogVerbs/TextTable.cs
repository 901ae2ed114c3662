namespace EdgeStream.Host.LogVerbs;

/// <summary>
/// A plain left/right-aligned text table for terminal output (numbers right-aligned). No dependencies so the tools stay
/// small in a trimmed single-file build. Not thread-safe.
/// </summary>
internal sealed class TextTable
{
    private readonly string[] _headers;
    private readonly List<string[]> _rows = [];

    public TextTable(params string[] headers) => _headers = headers;

    public void Add(params object[] cells)
    {
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"A row needs {_headers.Length} cells, not {cells.Length}.", nameof(cells));
        }
        _rows.Add([.. cells.Select(Format)]);
    }

    public void WriteTo(TextWriter output)
    {
        var widths = _headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        var numeric = _headers.Select((header, i) => _rows.Count > 0 && _rows.All(r => long.TryParse(r[i], out _))).ToArray();
        WriteRow(output, _headers, widths, numeric);
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in _rows)
        {
            WriteRow(output, row, widths, numeric);
        }
    }

    private static void WriteRow(TextWriter output, string[] cells, int[] widths, bool[] numeric)
    {
        var padded = cells.Select((c, i) => numeric[i] ? c.PadLeft(widths[i]) : c.PadRight(widths[i]));
        output.WriteLine(string.Join("  ", padded).TrimEnd());
    }

    private static string Format(object cell) => cell switch
    {
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => cell.ToString() ?? string.Empty,
    };
}
