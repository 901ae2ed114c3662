using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStream.FirmwareSim.Fleet;

/// <summary>
/// One simulated MQTT device. Each <see cref="SampleAsync"/> takes a reading; while online the device publishes
/// it (after anything still buffered), while offline it appends it to a bounded buffer, oldest dropped first.
/// <see cref="ReconnectAsync"/> flushes the buffer in sampling order before anything new is sent, so a subscriber
/// sees each device's sequence numbers in order. Not thread-safe: one caller drives a device.
/// </summary>
public sealed class SimulatedDevice : IAsyncDisposable
{
    private static readonly TimeSpan ReconnectBackoff = TimeSpan.FromSeconds(1);

    private readonly FleetOptions _options;
    private readonly TimeProvider _time;
    private readonly TelemetryGenerator _generator;
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _clientOptions;
    private readonly Queue<Pending> _pending = new();
    private readonly Random _schedule;
    private readonly double _startFraction;
    private bool _online;
    private long _published;
    private long _flushed;
    private long _dropped;
    private int _disconnects;
    private long _failures;

    /// <summary>Creates device number <paramref name="index"/> of a fleet described by <paramref name="options"/> (validated first).</summary>
    public SimulatedDevice(FleetOptions options, int index, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        Id = options.DeviceId(index);
        Topic = options.TopicFor(Id);
        var seed = HashCode.Combine(options.Seed, index);
        _generator = new TelemetryGenerator(Id, seed);
        _schedule = new Random(seed ^ 0x5EED);
        _startFraction = (double)index / options.Devices;
        _client = new MqttClientFactory().CreateMqttClient();
        _clientOptions = MqttClientOptionsFactory.Create(options.Host, options.Port, Id, options.Protocol, options.Timeout);
    }

    /// <summary>The device id, also its MQTT client id.</summary>
    public string Id { get; }

    /// <summary>The topic it publishes to.</summary>
    public string Topic { get; }

    /// <summary>True while connected and not (simulated) offline.</summary>
    public bool IsOnline => _online && _client.IsConnected;

    /// <summary>Readings waiting to be delivered.</summary>
    public int BufferedCount => _pending.Count;

    /// <summary>A snapshot of the device's counters.</summary>
    public DeviceStats Stats => new(Id, _generator.NextSequence, _published, _flushed, _dropped, _pending.Count, _disconnects, _failures);

    /// <summary>Connects to the broker; the device is online afterwards.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (!_client.IsConnected)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.Timeout);
            await _client.ConnectAsync(_clientOptions, timeout.Token);
        }
        _online = true;
    }

    /// <summary>Simulates losing the network: disconnects; readings taken from now on are buffered.</summary>
    public async Task GoOfflineAsync(CancellationToken cancellationToken)
    {
        if (!_online)
        {
            return;
        }
        _online = false;
        _disconnects++;
        await CloseConnectionAsync(cancellationToken);
    }

    /// <summary>Reconnects and flushes the buffer in order. Returns how many buffered readings were delivered.</summary>
    public async Task<int> ReconnectAsync(CancellationToken cancellationToken)
    {
        await ConnectAsync(cancellationToken);
        return await FlushAsync(cancellationToken);
    }

    /// <summary>Takes one reading and publishes it (after the buffer) when online, or buffers it when offline.</summary>
    public async Task SampleAsync(CancellationToken cancellationToken)
    {
        var reading = _generator.Next(_time.GetUtcNow());
        if (_pending.Count >= _options.MaxBuffered)
        {
            _pending.Dequeue();
            _dropped++;
        }
        _pending.Enqueue(new Pending(reading) { Buffered = !IsOnline });
        if (IsOnline)
        {
            await FlushAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Publishes pending readings in order until none is left, the device is offline, or the broker refuses one
    /// (kept for the next attempt). Returns how many readings that had waited in the buffer were delivered.
    /// </summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        var flushed = 0;
        while (_pending.Count > 0 && IsOnline)
        {
            var head = _pending.Peek();
            if (!await TryPublishAsync(head.Reading, cancellationToken))
            {
                head.Buffered = true;
                break;
            }
            _pending.Dequeue();
            _published++;
            _options.OnAcknowledged?.Invoke(head.Reading);
            if (head.Buffered)
            {
                _flushed++;
                flushed++;
            }
        }
        return flushed;
    }

    /// <summary>
    /// Samples at <see cref="FleetOptions.Rate"/> until the run's duration or message count is reached, going offline
    /// at random (<see cref="FleetOptions.DisconnectEvery"/>) and reconnecting after <see cref="FleetOptions.OfflineFor"/>;
    /// at the end makes one attempt to deliver what is still buffered. Cancellation ends the run early without that attempt.
    /// </summary>
    public async Task<DeviceStats> RunAsync(CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(1 / _options.Rate);
        var duration = _options.Duration ?? TimeSpan.MaxValue;
        var limit = _options.MessagesPerDevice ?? long.MaxValue;
        var start = _time.GetTimestamp();
        // Spread the fleet's samples over the interval instead of publishing in lockstep.
        var next = interval * _startFraction;
        var nextDisconnect = NextDisconnect(TimeSpan.Zero);
        TimeSpan? reconnectAt = null;
        var simulatedDisconnects = 0;
        try
        {
            try
            {
                await ConnectAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                _failures++;
                reconnectAt = ReconnectBackoff;
            }
            while (_generator.NextSequence < limit && next < duration)
            {
                var wait = next - _time.GetElapsedTime(start);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, cancellationToken);
                }
                var now = _time.GetElapsedTime(start);
                if (IsOnline && now >= nextDisconnect && simulatedDisconnects < _options.MaxDisconnectsPerDevice)
                {
                    simulatedDisconnects++;
                    await GoOfflineAsync(cancellationToken);
                    reconnectAt = now + _options.OfflineFor;
                    nextDisconnect = NextDisconnect(now + _options.OfflineFor);
                }
                else if (!IsOnline)
                {
                    if (_online)
                    {
                        // The connection broke under us (broker gone, publish failed): count it as a disconnect.
                        _online = false;
                        _disconnects++;
                    }
                    reconnectAt ??= now + ReconnectBackoff;
                    if (now >= reconnectAt)
                    {
                        reconnectAt = await TryReconnectAsync(cancellationToken) ? null : now + ReconnectBackoff;
                    }
                }
                await SampleAsync(cancellationToken);
                next += interval;
                if (now - next > interval)
                {
                    // Fell behind (slow acks, stalls): resume the grid from now rather than bursting to catch up.
                    next = now;
                }
            }
            if (_pending.Count > 0)
            {
                await TryReconnectAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancellation is a normal way to end a run; the stats say what was delivered.
        }
        await CloseConnectionAsync(CancellationToken.None);
        return Stats;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await CloseConnectionAsync(CancellationToken.None);
        _client.Dispose();
    }

    private async Task<bool> TryReconnectAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReconnectAsync(cancellationToken);
            return IsOnline;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _failures++;
            return false;
        }
    }

    private async Task<bool> TryPublishAsync(TelemetryReading reading, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.Timeout);
            var result = await _client.PublishAsync(BuildMessage(reading), timeout.Token);
            if (result.IsSuccess)
            {
                return true;
            }
            _failures++;
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Not connected, connection reset, or no PUBACK in time: offline until the next reconnect.
            _failures++;
            _online = false;
            _disconnects++;
            await CloseConnectionAsync(cancellationToken);
            return false;
        }
    }

    private MqttApplicationMessage BuildMessage(TelemetryReading reading)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(Topic)
            .WithPayload(TelemetryCodec.Encode(reading, _options.Payload, _options.Size))
            .WithQualityOfServiceLevel(_options.Qos == 1 ? MqttQualityOfServiceLevel.AtLeastOnce : MqttQualityOfServiceLevel.AtMostOnce);
        if (_options.Protocol == MqttProtocol.V500)
        {
            // MQTT 3.1.1 has no properties; MQTTnet refuses them there.
            builder = builder
                .WithContentType(TelemetryCodec.ContentType(_options.Payload))
                .WithUserProperty("device", Utf8(Id))
                .WithUserProperty("seq", Utf8(reading.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                .WithUserProperty("fw", Utf8(FirmwareVersion));
        }
        return builder.Build();
    }

    /// <summary>The firmware version devices report in the <c>fw</c> user property (MQTT 5).</summary>
    public const string FirmwareVersion = "sim-1.4.2";

    private static ReadOnlyMemory<byte> Utf8(string value) => System.Text.Encoding.UTF8.GetBytes(value);

    private TimeSpan NextDisconnect(TimeSpan from)
    {
        if (_options.DisconnectEvery is not { } mean)
        {
            return TimeSpan.MaxValue;
        }
        // Exponential inter-arrival times: disconnects at random with the configured mean.
        return from + (mean * -Math.Log(1 - _schedule.NextDouble()));
    }

    private async Task CloseConnectionAsync(CancellationToken cancellationToken)
    {
        if (!_client.IsConnected)
        {
            return;
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.Timeout);
            await _client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Already broken: nothing left to close politely.
        }
    }

    private sealed class Pending(TelemetryReading reading)
    {
        public TelemetryReading Reading { get; } = reading;

        /// <summary>True once the reading waited for a reconnect (taken offline, or its publish failed).</summary>
        public bool Buffered { get; set; }
    }
}
