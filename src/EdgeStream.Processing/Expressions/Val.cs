namespace EdgeStream.Processing.Expressions;

/// <summary>An expression value: a number, a boolean, a string, or null (a missing field).</summary>
internal readonly struct Val
{
    public readonly ValKind Kind;
    public readonly double Number;
    public readonly string? Text;

    private Val(ValKind kind, double number, string? text)
    {
        Kind = kind;
        Number = number;
        Text = text;
    }

    public static readonly Val Null = new(ValKind.Null, 0, null);

    public static Val Of(double d) => new(ValKind.Number, d, null);

    public static Val Of(bool b) => new(ValKind.Bool, b ? 1 : 0, null);

    public static Val Of(string s) => new(ValKind.String, 0, s);

    public bool IsTrue => Kind == ValKind.Bool && Number != 0;
}

/// <summary>The kinds of <see cref="Val"/>.</summary>
internal enum ValKind : byte
{
    Null,
    Number,
    Bool,
    String,
}

/// <summary>An expression met a value it cannot use (missing field, wrong type); the record is skipped and counted.</summary>
internal sealed class ExpressionEvaluationException(string message) : Exception(message);
