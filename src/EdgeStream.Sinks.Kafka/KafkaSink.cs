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
    private readonly string _nodeId;
    private readonly ILogger _logger;
    private readonly object _lock = new();
    private IProducer<byte[]?, byte[]> _producer;
    private volatile bool _fatal;

    public KafkaSink(KafkaSinkSettings settings, string nodeId, ILoggerFactory loggerFactory)
    {
        _settings = settings;
        _nodeId = nodeId;
        _logger = loggerFactory.CreateLogger<KafkaSink>();
        _producer = Build();
    }

    private IProducer<byte[]?, byte[]> Build()
        => new ProducerBuilder<byte[]?, byte[]>(_settings.ToProducerConfig(_nodeId))
            .SetErrorHandler((_, e) =>
            {
                KafkaLog.ClientError(_logger, e.Code.ToString(), e.Reason, e.IsFatal);
                _fatal |= e.IsFatal;
            })
            // librdkafka would otherwise write its own log lines to stderr.
            .SetLogHandler((_, m) => KafkaLog.ClientLog(_logger, m.Facility, m.Message))
            .Build();

    // An idempotent producer that hit a fatal error (e.g. a fenced or out-of-sequence epoch) never recovers; a new one
    // gets a new producer id. Resends are safe: the consumer side de-duplicates by edgestream-id.
    private IProducer<byte[]?, byte[]> Producer()
    {
        lock (_lock)
        {
            if (_fatal)
            {
                _producer.Dispose();
                _producer = Build();
                _fatal = false;
                KafkaLog.ProducerRecreated(_logger);
            }
            return _producer;
        }
    }

    public async Task<SendResult> SendAsync(SinkBatch batch, CancellationToken cancellationToken)
    {
        var producer = Producer();
        var topic = _settings.TopicFor(batch.Topic);
        byte[]? keyless = null;
        // One completion for the whole batch (cheaper than a task per message): set when every ack is in.
        var acks = new BatchAcks(batch.Records.Count);
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
            try
            {
                // Produced back to back: the idempotent producer keeps them in order; acks come back on its poll thread.
                await ProduceAsync(producer, topic, message, acks.OnDelivery, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Messages already handed over are still in flight: wait for them so none outlives this attempt.
                acks.Abandon(batch.Records.Count - i);
                await acks.Task.ConfigureAwait(false);
                throw;
            }
        }
        await acks.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (acks.FirstError is { } error)
        {
            throw new InvalidOperationException($"Kafka did not acknowledge {topic}: {error.Code} {error.Reason}");
        }
        return SendResult.Delivered;
    }

    private static async ValueTask ProduceAsync(IProducer<byte[]?, byte[]> producer, string topic, Message<byte[]?, byte[]> message, Action<DeliveryReport<byte[]?, byte[]>> onDelivery, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                producer.Produce(topic, message, onDelivery);
                return;
            }
            catch (ProduceException<byte[]?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // librdkafka's local queue is full (upstream slow or down): wait for acks to drain it.
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Counts the acks of one batch; thread-safe (delivery reports arrive on librdkafka's poll thread).</summary>
    private sealed class BatchAcks(int count)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining = count;
        private Error? _firstError;

        public Task Task => _done.Task;

        public Error? FirstError => Volatile.Read(ref _firstError);

        public void OnDelivery(DeliveryReport<byte[]?, byte[]> report)
        {
            if (report.Error.IsError)
            {
                Interlocked.CompareExchange(ref _firstError, report.Error, null);
            }
            Arrive(1);
        }

        public void Abandon(int notProduced) => Arrive(notProduced);

        private void Arrive(int n)
        {
            if (Interlocked.Add(ref _remaining, -n) == 0)
            {
                _done.TrySetResult();
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        // Nothing to flush: every batch already waited for its acks; anything unacked is resent after restart.
        lock (_lock)
        {
            _producer.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
