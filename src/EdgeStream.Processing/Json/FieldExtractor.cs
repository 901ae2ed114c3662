using System.Text;
using System.Text.Json;

namespace EdgeStream.Processing.Json;

/// <summary>
/// Reads the values of a fixed set of JSON pointers from a record in one forward pass with <see cref="Utf8JsonReader"/>,
/// skipping every subtree no pointer enters. Allocation-free per record (strings are decoded into a reused char
/// buffer). Not thread-safe: one per evaluator.
/// </summary>
internal sealed class FieldExtractor
{
    private sealed class Node
    {
        public readonly Dictionary<string, Node> Children = new(StringComparer.Ordinal);
        public Dictionary<string, Node>.AlternateLookup<ReadOnlySpan<char>> Lookup;
        public int Slot = -1;
    }

    private readonly Node _root = new();
    private readonly List<string> _pointers = [];
    private char[] _chars = new char[256];
    private int _charUsed;
    private char[] _name = new char[64];

    /// <summary>The values of the last <see cref="Extract"/>, indexed by slot.</summary>
    public FieldValue[] Values { get; private set; } = [];

    /// <summary>Registers a pointer (validated beforehand) and returns its slot; the same pointer gets the same slot.</summary>
    public int Register(string pointer)
    {
        int existing = _pointers.IndexOf(pointer);
        if (existing >= 0)
        {
            return existing;
        }
        if (!JsonPointer.TryParse(pointer, out var tokens, out var reason))
        {
            throw new ArgumentException(reason, nameof(pointer));
        }
        var node = _root;
        foreach (var t in tokens)
        {
            if (!node.Children.TryGetValue(t, out var child))
            {
                child = new Node();
                node.Children[t] = child;
            }
            node = child;
        }
        node.Slot = _pointers.Count;
        _pointers.Add(pointer);
        Values = new FieldValue[_pointers.Count];
        Seal(_root);
        return node.Slot;
    }

    private static void Seal(Node n)
    {
        n.Lookup = n.Children.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var c in n.Children.Values)
        {
            Seal(c);
        }
    }

    /// <summary>The decoded chars of a string value of the last record.</summary>
    public ReadOnlySpan<char> Chars(in FieldValue v) => _chars.AsSpan(v.CharStart, v.CharLength);

    /// <summary>Fills <see cref="Values"/> from <paramref name="json"/>; false when it is not a JSON object.</summary>
    public bool Extract(ReadOnlySpan<byte> json)
    {
        Array.Clear(Values);
        _charUsed = 0;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            ReadObject(ref reader, _root);
            // A record must be exactly one JSON value.
            return !reader.Read();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string with invalid UTF-8.
            return false;
        }
    }

    private void ReadObject(ref Utf8JsonReader reader, Node node)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            Node? child = null;
            if (node.Children.Count > 0)
            {
                int len = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
                if (_name.Length < len)
                {
                    _name = new char[Math.Max(len, _name.Length * 2)];
                }
                int n = reader.CopyString(_name);
                node.Lookup.TryGetValue(_name.AsSpan(0, n), out child);
            }
            reader.Read();
            if (child is null)
            {
                reader.Skip();
            }
            else
            {
                ReadValue(ref reader, child);
            }
        }
    }

    private void ReadArray(ref Utf8JsonReader reader, Node node)
    {
        int index = 0;
        Span<char> digits = stackalloc char[11];
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            Node? child = null;
            if (node.Children.Count > 0 && index.TryFormat(digits, out int written, provider: System.Globalization.CultureInfo.InvariantCulture))
            {
                node.Lookup.TryGetValue(digits[..written], out child);
            }
            if (child is null)
            {
                reader.Skip();
            }
            else
            {
                ReadValue(ref reader, child);
            }
            index++;
        }
    }

    private void ReadValue(ref Utf8JsonReader reader, Node node)
    {
        ref var v = ref node.Slot >= 0 ? ref Values[node.Slot] : ref Unused;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                v.Kind = FieldKind.Object;
                v.RawStart = (int)reader.TokenStartIndex;
                if (node.Children.Count > 0)
                {
                    ReadObject(ref reader, node);
                }
                else
                {
                    reader.Skip();
                }
                v.RawLength = (int)reader.BytesConsumed - v.RawStart;
                break;
            case JsonTokenType.StartArray:
                v.Kind = FieldKind.Array;
                v.RawStart = (int)reader.TokenStartIndex;
                if (node.Children.Count > 0)
                {
                    ReadArray(ref reader, node);
                }
                else
                {
                    reader.Skip();
                }
                v.RawLength = (int)reader.BytesConsumed - v.RawStart;
                break;
            case JsonTokenType.Number:
                // A number beyond double's range is not a usable value.
                if (reader.TryGetDouble(out double d) && double.IsFinite(d))
                {
                    v.Kind = FieldKind.Number;
                    v.Number = d;
                }
                else
                {
                    v.Kind = FieldKind.Null;
                }
                break;
            case JsonTokenType.String:
                v.Kind = FieldKind.String;
                int max = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
                if (_chars.Length - _charUsed < max)
                {
                    Array.Resize(ref _chars, Math.Max(_chars.Length * 2, _charUsed + max));
                }
                int n = reader.CopyString(_chars.AsSpan(_charUsed));
                v.CharStart = _charUsed;
                v.CharLength = n;
                _charUsed += n;
                if (reader.TryGetDateTimeOffset(out var time))
                {
                    v.IsTime = true;
                    v.Number = time.ToUnixTimeMilliseconds();
                }
                break;
            case JsonTokenType.True:
                v.Kind = FieldKind.True;
                break;
            case JsonTokenType.False:
                v.Kind = FieldKind.False;
                break;
            default:
                v.Kind = FieldKind.Null;
                break;
        }
    }

    private FieldValue _unused;

    private ref FieldValue Unused => ref _unused;

    /// <summary>Decodes a string value to a new string (for outputs and expression strings).</summary>
    public string GetString(in FieldValue v) => new(Chars(v));

    internal static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
