using System.Text.Json;
using EdgeStream.FirmwareSim.Fleet;

namespace EdgeStream.FirmwareSim.Tests;

public sealed class TelemetryCodecTests
{
    private static readonly TelemetryReading Reading = new("sim-0042", 1234, DateTimeOffset.FromUnixTimeMilliseconds(1_777_777_777_123), 21.53, 48.1, 101325.2, 3.912, -67);

    [Theory]
    [InlineData(PayloadFormat.Json)]
    [InlineData(PayloadFormat.Binary)]
    public void Reading_round_trips(PayloadFormat format)
    {
        Assert.Equal(Reading, TelemetryCodec.Decode(TelemetryCodec.Encode(Reading, format), format));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(190)] // a few bytes over the natural length: padded with whitespace
    [InlineData(200)]
    [InlineData(4096)]
    public void Json_is_padded_to_exactly_the_minimum_size_and_stays_valid(int size)
    {
        var natural = TelemetryCodec.Encode(Reading, PayloadFormat.Json).Length;
        var bytes = TelemetryCodec.Encode(Reading, PayloadFormat.Json, size);

        Assert.Equal(Math.Max(size, natural), bytes.Length);
        using var doc = JsonDocument.Parse(bytes);
        Assert.Equal(Reading, TelemetryCodec.Decode(bytes, PayloadFormat.Json));
    }

    [Fact]
    public void Binary_record_has_the_documented_layout_and_zero_padding()
    {
        var bytes = TelemetryCodec.Encode(Reading, PayloadFormat.Binary, 64);

        Assert.Equal(64, bytes.Length);
        Assert.Equal(TelemetryCodec.BinaryVersion, bytes[0]);
        Assert.Equal(1234u, BitConverter.ToUInt32(bytes, 2));
        Assert.Equal(2153, BitConverter.ToInt16(bytes, 14));
        Assert.Equal((byte)8, bytes[25]);
        Assert.Equal("sim-0042"u8.ToArray(), bytes[26..34]);
        Assert.All(bytes[34..], b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(PayloadFormat.Json, "{\"device\":1}")]
    [InlineData(PayloadFormat.Json, "not json")]
    [InlineData(PayloadFormat.Binary, "short")]
    public void Garbage_is_refused_with_a_format_exception(PayloadFormat format, string payload)
    {
        Assert.Throws<FormatException>(() => TelemetryCodec.Decode(System.Text.Encoding.UTF8.GetBytes(payload), format));
    }
}
