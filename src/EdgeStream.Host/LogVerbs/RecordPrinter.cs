using System.Buffers;
using System.CommandLine;
using System.Text;
using System.Text.Json;
using EdgeStream.Http;
using EdgeStream.Log;

namespace EdgeStream.Host.LogVerbs;

/// <summary>How <c>dump</c> and <c>tail</c> print records.</summary>
internal enum RecordFormat
{
    /// <summary>One JSON object per line (<see cref="RecordJson"/>).</summary>
    Jsonl,

    /// <summary>One readable line per record (<see cref="RecordText"/>).</summary>
    Text,
}

/// <summary>
/// Prints records to a <see cref="TextWriter"/> in a <see cref="RecordFormat"/>, reusing one buffer and JSON writer.
/// Not thread-safe: one printer per output.
/// </summary>
internal sealed class RecordPrinter
{
    private readonly TextWriter _output;
    private readonly RecordFormat _format;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _json;

    public RecordPrinter(TextWriter output, RecordFormat format)
    {
        _output = output;
        _format = format;
        _json = new Utf8JsonWriter(_buffer, RecordJson.WriterOptions);
    }

    public static Option<RecordFormat> FormatOption(RecordFormat defaultFormat) => new("--format")
    {
        Description = "Output format: jsonl (one JSON object per line) or text.",
        DefaultValueFactory = _ => defaultFormat,
    };

    public async ValueTask PrintAsync(StoredRecord record, CancellationToken cancellationToken)
    {
        if (_format == RecordFormat.Text)
        {
            await _output.WriteLineAsync(RecordText.Format(record).AsMemory(), cancellationToken);
            return;
        }
        _buffer.ResetWrittenCount();
        _json.Reset();
        RecordJson.Write(_json, record);
        _json.Flush();
        // The writer is a TextWriter (stdout or a test's StringWriter), so the UTF-8 goes back through a string.
        await _output.WriteLineAsync(Encoding.UTF8.GetString(_buffer.WrittenSpan).AsMemory(), cancellationToken);
    }
}
