using System.Text;

namespace EdgeStream.Processing.Expressions;

/// <summary>
/// Lets rules write JSON pointers bare in expressions (<c>has(/a/b) &amp;&amp; /a/b &gt; 3</c>): a <c>/</c> where an operand
/// is expected starts a pointer (characters <c>A-Z a-z 0-9 _ . ~ / -</c>), which is rewritten to NCalc's bracketed
/// identifier <c>[/a/b]</c>. A <c>/</c> after an operand stays a division. Pointers with other characters are written
/// in brackets directly. Thread-safe (stateless).
/// </summary>
internal static class PointerSyntax
{
    public static string Rewrite(string expression)
    {
        var sb = new StringBuilder(expression.Length + 8);
        bool afterOperand = false;
        int i = 0;
        while (i < expression.Length)
        {
            char c = expression[i];
            if (c is '\'' or '"')
            {
                int end = expression.IndexOf(c, i + 1);
                end = end < 0 ? expression.Length - 1 : end;
                sb.Append(expression, i, end - i + 1);
                i = end + 1;
                afterOperand = true;
                continue;
            }
            if (c == '[')
            {
                int end = expression.IndexOf(']', i + 1);
                end = end < 0 ? expression.Length - 1 : end;
                sb.Append(expression, i, end - i + 1);
                i = end + 1;
                afterOperand = true;
                continue;
            }
            if (c == '/' && !afterOperand)
            {
                int start = i;
                i++;
                while (i < expression.Length && IsPointerChar(expression[i]))
                {
                    i++;
                }
                sb.Append('[').Append(expression, start, i - start).Append(']');
                afterOperand = true;
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                sb.Append(c);
                i++;
                continue;
            }
            afterOperand = char.IsLetterOrDigit(c) || c is '_' or ')' or '.';
            sb.Append(c);
            i++;
        }
        return sb.ToString();
    }

    private static bool IsPointerChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '~' or '/' or '-';
}
