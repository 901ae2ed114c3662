using System.Globalization;
using EdgeStream.Processing.Json;
using NCalc;
using NCalc.Factories;

namespace EdgeStream.Processing.Expressions;

/// <summary>
/// Compiles a rule expression once: bare JSON pointers are bracketed (<see cref="PointerSyntax"/>), NCalc parses the
/// text into its logical expression tree, and that tree is translated into <see cref="ExprNode"/>s that read record
/// fields through the rule's <see cref="FieldExtractor"/>. Evaluation walks the tree; nothing is compiled to IL.
/// </summary>
internal static class RuleExpression
{
    /// <summary>Compiles <paramref name="text"/>, registering its pointers with <paramref name="fields"/>.</summary>
    /// <exception cref="FormatException">The expression does not parse or uses an unknown name or function.</exception>
    public static ExprNode Compile(string text, FieldExtractor fields)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new FormatException("the expression is empty.");
        }
        LogicalExpression parsed;
        try
        {
            parsed = LogicalExpressionFactory.Create(PointerSyntax.Rewrite(text), new LogicalExpressionParserOptions(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new FormatException($"'{text}' does not parse: {e.Message}", e);
        }
        return Translate(parsed, fields);
    }

    /// <summary>Parses without keeping the result, for validation; null when fine, else the reason.</summary>
    public static string? Check(string text)
    {
        try
        {
            Compile(text, new FieldExtractor());
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return e.Message;
        }
    }

    private static ExprNode Translate(LogicalExpression e, FieldExtractor fields) => e switch
    {
        ValueExpression v => new ConstNode(v.Value switch
        {
            null => Val.Null,
            bool b => Val.Of(b),
            string s => Val.Of(s),
            char c => Val.Of(c.ToString()),
            IConvertible n when v.Type is NCalc.ValueType.Integer or NCalc.ValueType.Float => Val.Of(n.ToDouble(CultureInfo.InvariantCulture)),
            _ => throw new FormatException($"the value '{v.Value}' is not supported."),
        }),
        Identifier id => Field(id.Name, fields),
        UnaryExpression u => u.Type switch
        {
            UnaryExpressionType.Not => new NotNode(Translate(u.Expression, fields)),
            UnaryExpressionType.Negate => new NegateNode(Translate(u.Expression, fields)),
            UnaryExpressionType.Positive => Translate(u.Expression, fields),
            _ => throw new FormatException($"the operator {u.Type} is not supported."),
        },
        TernaryExpression t => new TernaryNode(Translate(t.LeftExpression, fields), Translate(t.MiddleExpression, fields), Translate(t.RightExpression, fields)),
        BinaryExpression b => Binary(b, fields),
        Function f => Call(f, fields),
        _ => throw new FormatException($"'{e}' is not supported."),
    };

    private static ExprNode Field(string name, FieldExtractor fields)
    {
        if (name.Equals("null", StringComparison.OrdinalIgnoreCase))
        {
            return new ConstNode(Val.Null);
        }
        if (!JsonPointer.TryParse(name, out _, out var reason))
        {
            throw new FormatException($"unknown name '{name}': fields are JSON pointers such as /quantities/temperature/value ({reason})");
        }
        return new FieldNode(fields.Register(name));
    }

    private static ExprNode Binary(BinaryExpression b, FieldExtractor fields)
    {
        if (b.Type is BinaryExpressionType.In or BinaryExpressionType.NotIn)
        {
            var items = b.RightExpression is LogicalExpressionList list
                ? list.Select(x => Translate(x, fields)).ToArray()
                : [Translate(b.RightExpression, fields)];
            return new InNode(Translate(b.LeftExpression, fields), items, b.Type == BinaryExpressionType.NotIn);
        }
        var l = Translate(b.LeftExpression, fields);
        var r = Translate(b.RightExpression, fields);
        return b.Type switch
        {
            BinaryExpressionType.And => new AndNode(l, r),
            BinaryExpressionType.Or => new OrNode(l, r),
            BinaryExpressionType.Coalesce => new CoalesceNode(l, r),
            BinaryExpressionType.Equal => new CompareNode(CompareOp.Eq, l, r),
            BinaryExpressionType.NotEqual => new CompareNode(CompareOp.Ne, l, r),
            BinaryExpressionType.Lesser => new CompareNode(CompareOp.Lt, l, r),
            BinaryExpressionType.LesserOrEqual => new CompareNode(CompareOp.Le, l, r),
            BinaryExpressionType.Greater => new CompareNode(CompareOp.Gt, l, r),
            BinaryExpressionType.GreaterOrEqual => new CompareNode(CompareOp.Ge, l, r),
            BinaryExpressionType.Plus => new ArithNode(ArithOp.Add, l, r),
            BinaryExpressionType.Minus => new ArithNode(ArithOp.Sub, l, r),
            BinaryExpressionType.Times => new ArithNode(ArithOp.Mul, l, r),
            BinaryExpressionType.Div => new ArithNode(ArithOp.Div, l, r),
            BinaryExpressionType.Modulo => new ArithNode(ArithOp.Mod, l, r),
            BinaryExpressionType.Exponentiation => new ArithNode(ArithOp.Pow, l, r),
            _ => throw new FormatException($"the operator {b.Type} is not supported."),
        };
    }

    private static ExprNode Call(Function f, FieldExtractor fields)
    {
        string name = f.Identifier.Name.ToLowerInvariant();
        var p = f.Parameters;
        if (name == "has")
        {
            if (p.Count != 1 || p[0] is not Identifier id || !JsonPointer.TryParse(id.Name, out _, out _))
            {
                throw new FormatException("has() takes one JSON pointer, e.g. has(/quantities/temperature).");
            }
            return new HasNode(fields.Register(id.Name));
        }
        var args = p.Select(x => Translate(x, fields)).ToArray();
        void Arity(int min, int max)
        {
            if (args.Length < min || args.Length > max)
            {
                throw new FormatException($"{name}() takes {(min == max ? min.ToString(CultureInfo.InvariantCulture) : $"{min} to {max}")} arguments.");
            }
        }
        switch (name)
        {
            case "if":
                Arity(3, 3);
                return new IfNode(args[0], args[1], args[2]);
            case "abs": Arity(1, 1); return new MathNode(name, args, a => Math.Abs(a[0]));
            case "sqrt": Arity(1, 1); return new MathNode(name, args, a => Math.Sqrt(a[0]));
            case "floor": Arity(1, 1); return new MathNode(name, args, a => Math.Floor(a[0]));
            case "ceiling": Arity(1, 1); return new MathNode(name, args, a => Math.Ceiling(a[0]));
            case "exp": Arity(1, 1); return new MathNode(name, args, a => Math.Exp(a[0]));
            case "ln": Arity(1, 1); return new MathNode(name, args, a => Math.Log(a[0]));
            case "log10": Arity(1, 1); return new MathNode(name, args, a => Math.Log10(a[0]));
            case "pow": Arity(2, 2); return new MathNode(name, args, a => Math.Pow(a[0], a[1]));
            case "min": Arity(2, 2); return new MathNode(name, args, a => Math.Min(a[0], a[1]));
            case "max": Arity(2, 2); return new MathNode(name, args, a => Math.Max(a[0], a[1]));
            case "round":
                Arity(1, 2);
                return new MathNode(name, args, a => Math.Round(a[0], a.Length > 1 ? (int)Math.Clamp(a[1], 0, 15) : 0, MidpointRounding.AwayFromZero));
            default:
                throw new FormatException($"unknown function '{f.Identifier.Name}'.");
        }
    }
}
