using Confluent.Kafka;
using EdgeStream.Forwarding;

namespace EdgeStream.Sinks.Kafka;

/// <summary>Validated settings of a Kafka sink (keys documented in docs/forwarding.md). Immutable.</summary>
internal sealed record KafkaSinkSettings(string BootstrapServers, string TopicTemplate, CompressionType Compression, IReadOnlyDictionary<string, string> Client)
{
    /// <summary>Producer <c>message.max.bytes</c> unless set under Client: 1 MiB of record plus 64 KiB for key, headers and framing.</summary>
    public const int DefaultMessageMaxBytes = (1 << 20) + (64 << 10);

    /// <summary>Producer <c>statistics.interval.ms</c> unless set under Client: how often the sink checks that a broker is connected.</summary>
    public const int DefaultStatisticsIntervalMs = 5000;

    public static KafkaSinkSettings From(SinkOptions options, string path)
    {
        var servers = options.Setting("BootstrapServers")
            ?? throw new ArgumentException($"{path}:BootstrapServers must be set (host:port[,host:port…]).");
        var template = options.Setting("TopicTemplate", "{topic}");
        if (!template.Contains("{topic}", StringComparison.Ordinal) && template.Contains('{', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{path}:TopicTemplate '{template}' may only use the placeholder {{topic}}.");
        }
        var compressionText = options.Setting("Compression", "lz4");
        if (!Enum.TryParse<CompressionType>(compressionText, ignoreCase: true, out var compression) || !Enum.IsDefined(compression))
        {
            throw new ArgumentException($"{path}:Compression '{compressionText}' must be none, gzip, snappy, lz4 or zstd.");
        }
        return new KafkaSinkSettings(servers, template, compression, options.Client);
    }

    public string TopicFor(string logTopic) => TopicTemplate.Replace("{topic}", logTopic, StringComparison.Ordinal);

    public ProducerConfig ToProducerConfig(string nodeId)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = BootstrapServers,
            ClientId = "edgestream-" + nodeId,
            // Idempotence keeps order and drops the producer's own retry duplicates; acks=all waits for the ISR.
            EnableIdempotence = true,
            Acks = Acks.All,
            CompressionType = Compression,
            // The engine hands over whole batches, so librdkafka need not wait for more: linger only delays the ack of a batch tail.
            LingerMs = 1,
            // Above librdkafka's 1000000-byte default so that any record the ingest accepts (HTTP ingest bodies up to
            // 1 MiB) is at least offered to the broker; a broker with a lower limit answers MsgSizeTooLarge, and that
            // record is dead-lettered. Client:message.max.bytes overrides it.
            MessageMaxBytes = DefaultMessageMaxBytes,
            // The sink reads the brokers' connection states from the statistics (KafkaBrokerStates); 0 turns that off.
            StatisticsIntervalMs = DefaultStatisticsIntervalMs,
        };
        // SASL/TLS and any other librdkafka property pass through unchanged (Forwarding:Sinks:N:Client).
        foreach (var (key, value) in Client)
        {
            config.Set(key, value);
        }
        return config;
    }
}
