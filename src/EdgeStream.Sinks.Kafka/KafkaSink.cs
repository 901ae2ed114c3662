using System.Text;
using Confluent.Kafka;
using EdgeStream.Forwarding;
using Microsoft.Extensions.Logging;

namespace EdgeStream.Sinks.Kafka;

/// <summary>
/// Forwards batches with one idempotent Confluent.Kafka producer per sink. Every message carries the record's headers
/// plus <c>edgestream-id</c>; the key is the record key, or — for keyless records — <c>{nodeId}/{topic}/{partition}</c>,
/// so that one edge partition always lands in one Kafka partition and keeps its order. A batch completes when every
/// message has been acknowledged (acks=all). Errors are classified (<see cref="KafkaErrors"/>): a record Kafka can never
/// take is returned as rejected (dead-lettered), authentication/authorization errors throw
/// <see cref="SinkRejectedException"/>, the rest is retried. The sink shows as unreachable when the client reports all
/// brokers down, or when its statistics show no broker connected while connection attempts go on
/// (<see cref="KafkaBrokerStates"/>); it is reachable again when a broker is connected or a message is acknowledged.
/// Thread-safe (the producer is).
/// </summary>
internal sealed class KafkaSink : ISink, ISinkConnectivity
{
    public const string IdHeader = "edgestream-id";

    private readonly KafkaSinkSettings _settings;
    private readonly string _nodeId;
    private readonly ILogger _logger;
    private readonly object _lock = new();
    private IProducer<byte[]?, byte[]> _producer;
    private volatile bool _fatal;
    private volatile string? _unreachable;
    private KafkaBrokerStates.Sample _lastSample = new(AnyUp: true, Connects: 0);

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
                if (e.Code is ErrorCode.Local_AllBrokersDown or ErrorCode.Local_Authentication)
                {
                    _unreachable = $"{e.Code}: {e.Reason}";
                }
            })
            .SetStatisticsHandler((_, statistics) => OnStatistics(statistics))
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

    /// <inheritdoc />
    public string? Unreachable => _unreachable;

    // Called on librdkafka's poll thread only, every statistics.interval.ms.
    private void OnStatistics(string statistics)
    {
        if (KafkaBrokerStates.Read(statistics) is not { } sample)
        {
            return;
        }
        if (sample.AnyUp)
        {
            _unreachable = null;
        }
        else if (!_lastSample.AnyUp && sample.Connects > _lastSample.Connects)
        {
            // Two samples in a row with no broker up and attempts in between: a connection closed for idleness and
            // caught mid-reconnect by one sample does not count. The client's own reason, when it gave one, stays.
            _unreachable ??= $"no broker connected after {sample.Connects - _lastSample.Connects} connection attempt(s)";
        }
        _lastSample = sample;
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
            var index = i;
            try
            {
                // Produced back to back: the idempotent producer keeps them in order; acks come back on its poll thread.
                await ProduceAsync(producer, topic, message, report => acks.OnDelivery(index, report), cancellationToken).ConfigureAwait(false);
            }
            catch (ProduceException<byte[]?, byte[]> e) when (KafkaErrors.Classify(e.Error.Code) == KafkaErrors.Kind.BadRecord)
            {
                // Refused locally before it was queued (e.g. larger than message.max.bytes): this record only.
                acks.Refuse(index, e.Error);
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
        return Outcome(batch, topic, acks);
    }

    private SendResult Outcome(SinkBatch batch, string topic, BatchAcks acks)
    {
        List<RejectedRecord>? rejected = null;
        Error? transient = null;
        for (var i = 0; i < batch.Records.Count; i++)
        {
            if (acks.ErrorOf(i) is not { } error)
            {
                continue;
            }
            switch (KafkaErrors.Classify(error.Code))
            {
                case KafkaErrors.Kind.Misconfigured:
                    throw new SinkRejectedException($"Kafka refused {topic}: {error.Code} {error.Reason}");
                case KafkaErrors.Kind.BadRecord:
                    (rejected ??= []).Add(new RejectedRecord(batch.Records[i], $"Kafka {error.Code}: {error.Reason}"));
                    break;
                default:
                    transient ??= error;
                    break;
            }
        }
        if (transient is not null)
        {
            throw new InvalidOperationException($"Kafka did not acknowledge {topic}: {transient.Code} {transient.Reason}");
        }
        if (rejected is null || rejected.Count < batch.Records.Count)
        {
            // At least one message was acknowledged: the cluster is reachable.
            _unreachable = null;
        }
        return rejected is null ? SendResult.Delivered : new SendResult(rejected);
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

    /// <summary>Counts the acks of one batch and keeps each message's error; thread-safe (delivery reports arrive on librdkafka's poll thread).</summary>
    private sealed class BatchAcks(int count)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Error?[] _errors = new Error?[count];
        private int _remaining = count;

        public Task Task => _done.Task;

        public Error? ErrorOf(int index) => Volatile.Read(ref _errors[index]);

        public void OnDelivery(int index, DeliveryReport<byte[]?, byte[]> report)
        {
            if (report.Error.IsError)
            {
                Volatile.Write(ref _errors[index], report.Error);
            }
            Arrive(1);
        }

        public void Refuse(int index, Error error)
        {
            Volatile.Write(ref _errors[index], error);
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
