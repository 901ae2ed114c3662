using System.Globalization;
using EdgeStream.Processing.Json;

namespace EdgeStream.Processing.Expressions;

/// <summary>A node of a compiled expression, evaluated by walking the tree (no expression trees, no IL, so it runs
/// under trimming and NativeAOT). Built once per rule by <see cref="RuleExpression"/>; immutable and thread-safe
/// except that evaluation reads the extractor's current record.</summary>
internal abstract class ExprNode
{
    public abstract Val Eval(FieldExtractor fields);

    protected static double Num(Val v, string what) => v.Kind switch
    {
        ValKind.Number => v.Number,
        ValKind.Bool => v.Number,
        ValKind.Null => throw new ExpressionEvaluationException($"{what}: a field is missing."),
        _ => double.TryParse(v.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d
            : throw new ExpressionEvaluationException($"{what}: '{v.Text}' is not a number."),
    };

    protected static bool Bool(Val v, string what) => v.Kind switch
    {
        ValKind.Bool => v.Number != 0,
        ValKind.Number => v.Number != 0,
        ValKind.Null => throw new ExpressionEvaluationException($"{what}: a field is missing."),
        _ => throw new ExpressionEvaluationException($"{what}: '{v.Text}' is not a boolean."),
    };
}

internal sealed class ConstNode(Val value) : ExprNode
{
    public override Val Eval(FieldExtractor fields) => value;
}

/// <summary>A JSON pointer field of the record; a missing field evaluates to null.</summary>
internal sealed class FieldNode(int slot) : ExprNode
{
    public override Val Eval(FieldExtractor fields)
    {
        ref readonly var v = ref fields.Values[slot];
        return v.Kind switch
        {
            FieldKind.Number => Val.Of(v.Number),
            FieldKind.String => Val.Of(fields.GetString(v)),
            FieldKind.True => Val.Of(true),
            FieldKind.False => Val.Of(false),
            _ => Val.Null,
        };
    }
}

/// <summary><c>has(/pointer)</c>: the record has the member (any type, null included).</summary>
internal sealed class HasNode(int slot) : ExprNode
{
    public override Val Eval(FieldExtractor fields) => Val.Of(fields.Values[slot].Kind != FieldKind.Missing);
}

internal sealed class TernaryNode(ExprNode cond, ExprNode a, ExprNode b) : ExprNode
{
    public override Val Eval(FieldExtractor fields) => Bool(cond.Eval(fields), "condition") ? a.Eval(fields) : b.Eval(fields);
}

internal sealed class NotNode(ExprNode e) : ExprNode
{
    public override Val Eval(FieldExtractor fields) => Val.Of(!Bool(e.Eval(fields), "not"));
}

internal sealed class NegateNode(ExprNode e) : ExprNode
{
    public override Val Eval(FieldExtractor fields) => Val.Of(-Num(e.Eval(fields), "negate"));
}

internal sealed class AndNode(ExprNode a, ExprNode b) : ExprNode
{
    public override Val Eval(FieldExtractor fields) => Val.Of(Bool(a.Eval(fields), "and") && Bool(b.Eval(fields), "and"));
}

internal sealed class OrNode(ExprNode a, ExprNode b) : ExprNode
{
    public override Val Eval(FieldExtractor fields) => Val.Of(Bool(a.Eval(fields), "or") || Bool(b.Eval(fields), "or"));
}

/// <summary><c>a ?? b</c>: b when a is a missing field.</summary>
internal sealed class CoalesceNode(ExprNode a, ExprNode b) : ExprNode
{
    public override Val Eval(FieldExtractor fields)
    {
        var v = a.Eval(fields);
        return v.Kind == ValKind.Null ? b.Eval(fields) : v;
    }
}

internal enum ArithOp
{
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}

internal sealed class ArithNode(ArithOp op, ExprNode a, ExprNode b) : ExprNode
{
    public override Val Eval(FieldExtractor fields)
    {
        var l = a.Eval(fields);
        var r = b.Eval(fields);
        if (op == ArithOp.Add && (l.Kind == ValKind.String || r.Kind == ValKind.String) && l.Kind != ValKind.Null && r.Kind != ValKind.Null)
        {
            return Val.Of(Str(l) + Str(r));
        }
        double x = Num(l, op.ToString()), y = Num(r, op.ToString());
        return Val.Of(op switch
        {
            ArithOp.Add => x + y,
            ArithOp.Sub => x - y,
            ArithOp.Mul => x * y,
            ArithOp.Div => x / y,
            ArithOp.Mod => x % y,
            _ => Math.Pow(x, y),
        });
    }

    private static string Str(Val v) => v.Kind switch
    {
        ValKind.String => v.Text!,
        ValKind.Bool => v.Number != 0 ? "true" : "false",
        _ => v.Number.ToString("R", CultureInfo.InvariantCulture),
    };
}

internal enum CompareOp
{
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// <summary>Comparisons: numbers numerically, strings ordinally; equality with a missing field is false (inequality true).</summary>
internal sealed class CompareNode(CompareOp op, ExprNode a, ExprNode b) : ExprNode
{
    public override Val Eval(FieldExtractor fields)
    {
        var l = a.Eval(fields);
        var r = b.Eval(fields);
        if (l.Kind == ValKind.Null || r.Kind == ValKind.Null)
        {
            return op switch
            {
                CompareOp.Eq => Val.Of(l.Kind == r.Kind),
                CompareOp.Ne => Val.Of(l.Kind != r.Kind),
                _ => throw new ExpressionEvaluationException("compare: a field is missing."),
            };
        }
        int c;
        if (l.Kind == ValKind.String && r.Kind == ValKind.String)
        {
            c = string.CompareOrdinal(l.Text, r.Text);
        }
        else if (l.Kind == ValKind.String || r.Kind == ValKind.String)
        {
            // A string against a number or boolean: equal only if the string parses to the same number.
            if (op is CompareOp.Eq or CompareOp.Ne)
            {
                bool eq = double.TryParse(l.Kind == ValKind.String ? l.Text : r.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                    && d == (l.Kind == ValKind.String ? r.Number : l.Number);
                return Val.Of(op == CompareOp.Eq ? eq : !eq);
            }
            c = Num(l, "compare").CompareTo(Num(r, "compare"));
        }
        else
        {
            double x = l.Number, y = r.Number;
            if (op is CompareOp.Eq or CompareOp.Ne)
            {
                return Val.Of((x == y) == (op == CompareOp.Eq));
            }
            c = x.CompareTo(y);
        }
        return Val.Of(op switch
        {
            CompareOp.Eq => c == 0,
            CompareOp.Ne => c != 0,
            CompareOp.Lt => c < 0,
            CompareOp.Le => c <= 0,
            CompareOp.Gt => c > 0,
            _ => c >= 0,
        });
    }
}

/// <summary>Numeric functions of one or more numbers.</summary>
internal sealed class MathNode(string name, ExprNode[] args, Func<double[], double> f) : ExprNode
{
    public override Val Eval(FieldExtractor fields)
    {
        var values = new double[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            values[i] = Num(args[i].Eval(fields), name);
        }
        return Val.Of(f(values));
    }
}

/// <summary><c>if(cond, a, b)</c>.</summary>
internal sealed class IfNode(ExprNode cond, ExprNode a, ExprNode b) : ExprNode
{
    public override Val Eval(FieldExtractor fields) => Bool(cond.Eval(fields), "if") ? a.Eval(fields) : b.Eval(fields);
}

/// <summary><c>x in (a, b, c)</c>.</summary>
internal sealed class InNode(ExprNode x, ExprNode[] list, bool negate) : ExprNode
{
    private readonly CompareNode[] _compares = list.Select(item => new CompareNode(CompareOp.Eq, x, item)).ToArray();

    public override Val Eval(FieldExtractor fields)
    {
        foreach (var c in _compares)
        {
            if (c.Eval(fields).IsTrue)
            {
                return Val.Of(!negate);
            }
        }
        return Val.Of(negate);
    }
}
