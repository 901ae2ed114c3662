using System.Text;
using System.Text.Json;

namespace EdgeStream.Sinks.Kafka;

/// <summary>
/// Reads the broker connection states out of librdkafka's statistics JSON (<c>statistics.interval.ms</c>), the
/// connectivity signal that does not depend on librdkafka's all-brokers-down event. That event is raised when a counter
/// of down brokers reaches the number of brokers; when brokers are decommissioned (a metadata answer from the last live
/// broker lists only itself) while others are going down, the counter stays above the count and the event never comes
/// again for the life of the producer. Stateless.
/// </summary>
internal static class KafkaBrokerStates
{
    /// <summary>One statistics sample: whether a real broker is connected, and the connection attempts made so far.</summary>
    public readonly record struct Sample(bool AnyUp, long Connects);

    private static readonly byte[] Brokers = "brokers"u8.ToArray();

    /// <summary>
    /// Whether at least one real broker (not librdkafka's internal or logical ones) is connected (state <c>UP</c>), and
    /// the sum of their <c>connects</c> (attempts, failed ones included); null when the statistics list no real broker
    /// or cannot be read.
    /// </summary>
    public static Sample? Read(string statistics)
    {
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(statistics));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isBrokers = reader.ValueTextEquals(Brokers);
                reader.Read();
                if (isBrokers && reader.TokenType == JsonTokenType.StartObject)
                {
                    return ReadBrokers(ref reader);
                }
                reader.Skip();
            }
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // The reader is on the start of "brokers": { "<name>": { "source": "learned", "state": "UP", "connects": 2, … }, … }.
    private static Sample? ReadBrokers(ref Utf8JsonReader reader)
    {
        var seen = false;
        var anyUp = false;
        long connects = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            string? source = null;
            string? state = null;
            long brokerConnects = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "source" when reader.TokenType == JsonTokenType.String:
                        source = reader.GetString();
                        break;
                    case "state" when reader.TokenType == JsonTokenType.String:
                        state = reader.GetString();
                        break;
                    case "connects" when reader.TokenType == JsonTokenType.Number:
                        brokerConnects = reader.GetInt64();
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            if (source is "internal" or "logical")
            {
                continue;
            }
            seen = true;
            anyUp |= state == "UP";
            connects += brokerConnects;
        }
        return seen ? new Sample(anyUp, connects) : null;
    }
}
