using System.Text;
using Confluent.Kafka;
using EdgeStream.Forwarding;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Sinks.Kafka;

/// <summary>
/// Forwards batches with one idempotent Confluent.Kafka producer per sink. Every message carries the record's headers
/// plus <c>edgestream-id</c>; the key is the record key, or — for keyless records — <c>{nodeId}/{topic}/{partition}</c>,
/// so that one edge partition always lands in one Kafka partition and keeps its order. A batch completes when every
/// message has been acknowledged (acks=all). Thread-safe (the producer is).
/// </summary>
internal sealed class KafkaSink : ISink
{
    public const string IdHeader = "edgestream-id";

    private readonly KafkaSinkSettings _settings;
    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly string _nodeId;

    public KafkaSink(KafkaSinkSettings settings, string nodeId, ILoggerFactory loggerFactory)
    {
        _settings = settings;
        _nodeId = nodeId;
        var logger = loggerFactory.CreateLogger<KafkaSink>();
        _producer = new ProducerBuilder<byte[]?, byte[]>(settings.ToProducerConfig(nodeId))
            .SetErrorHandler((_, e) => KafkaLog.ClientError(logger, e.Code.ToString(), e.Reason, e.IsFatal))
            // librdkafka would otherwise write its own log lines to stderr.
            .SetLogHandler((_, m) => KafkaLog.ClientLog(logger, m.Facility, m.Message))
            .Build();
    }

    public async Task<SendResult> SendAsync(SinkBatch batch, CancellationToken cancellationToken)
    {
        var topic = _settings.TopicFor(batch.Topic);
        byte[]? keyless = null;
        var pending = new Task<DeliveryResult<byte[]?, byte[]>>[batch.Records.Count];
        for (var i = 0; i < batch.Records.Count; i++)
        {
            var r = batch.Records[i];
            var headers = new Headers();
            foreach (var h in r.Headers)
            {
                headers.Add(h.Name, h.Value.ToArray());
            }
            headers.Add(IdHeader, Encoding.UTF8.GetBytes(batch.IdOf(r)));
            var key = r.Key?.ToArray() ?? (keyless ??= Encoding.UTF8.GetBytes($"{_nodeId}/{batch.Topic}/{batch.Partition}"));
            var message = new Message<byte[]?, byte[]> { Key = key, Value = r.Value.ToArray(), Headers = headers, Timestamp = new Timestamp(r.Timestamp) };
            // Produced back to back: the idempotent producer keeps them in order; acks come back asynchronously.
            pending[i] = _producer.ProduceAsync(topic, message, cancellationToken);
        }
        // Wait for every ack even if one failed, so no message of this batch is still in flight when it is resent.
        try
        {
            await Task.WhenAll(pending).ConfigureAwait(false);
        }
        catch (ProduceException<byte[]?, byte[]> e)
        {
            throw new InvalidOperationException($"Kafka did not acknowledge {topic}: {e.Error.Code} {e.Error.Reason}", e);
        }
        return SendResult.Delivered;
    }

    public ValueTask DisposeAsync()
    {
        // Nothing to flush: every batch already waited for its acks; anything unacked is resent after restart.
        _producer.Dispose();
        return ValueTask.CompletedTask;
    }
}
