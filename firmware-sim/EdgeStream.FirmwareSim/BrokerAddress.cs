using System.Globalization;

namespace EdgeStream.FirmwareSim;

/// <summary>Parses <c>host:port</c> (port 1883 when omitted; IPv6 as <c>[::1]:1883</c>).</summary>
internal static class BrokerAddress
{
    public const string Default = "127.0.0.1:1883";

    public static (string Host, int Port) Parse(string value)
    {
        var text = value.Trim();
        string host;
        string? port = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"'{value}': missing ']' after the IPv6 address");
            }
            host = text[1..close];
            if (close + 1 < text.Length)
            {
                if (text[close + 1] != ':')
                {
                    throw new FormatException($"'{value}': expected ':' after ']'");
                }
                port = text[(close + 2)..];
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            host = colon < 0 ? text : text[..colon];
            port = colon < 0 ? null : text[(colon + 1)..];
        }
        if (host.Length == 0)
        {
            throw new FormatException($"'{value}': no host");
        }
        if (port is null)
        {
            return (host, 1883);
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
        {
            throw new FormatException($"'{value}': port must be 1..65535");
        }
        return (host, p);
    }
}
