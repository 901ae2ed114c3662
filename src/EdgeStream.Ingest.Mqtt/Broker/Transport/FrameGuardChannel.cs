using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Channel;
using MQTTnet.Exceptions;

namespace EdgeStream.Ingest.Mqtt.Broker.Transport;

/// <summary>
/// The byte stream of one accepted connection (plain or TLS) as MQTTnet's <see cref="IMqttChannel"/>, with MQTT framing
/// checked as the bytes pass: every fixed header's remaining length is decoded here and a packet larger than the limit
/// (the CONNECT limit for the first packet) is refused with <see cref="PacketTooLargeException"/> on the very read
/// that completes the length — before MQTTnet's channel adapter allocates the body it would otherwise allocate whole.
/// The first packet must be a CONNECT. Reads come from the one receive loop, so the framing state needs no lock. Writes
/// come from MQTTnet's send lock and from <see cref="ConnectionAckWriter"/>; a write gate keeps each packet whole (MQTTnet
/// may write one in two parts).
/// </summary>
/// <remarks>
/// Reads are buffered (<see cref="ReadBufferBytes"/> per connection): MQTTnet's adapter asks for the 2-byte fixed
/// header, then each further length byte, then the body, each as a read of its own, which unbuffered costs two or three
/// socket reads per small PUBLISH. The checks run on the bytes as they are handed to MQTTnet, so a packet over the limit
/// is still refused before MQTTnet allocates its body; the buffer is fixed, so what a connection holds stays bounded.
/// </remarks>
internal sealed class FrameGuardChannel : IMqttChannel
{
    private const int MaxRemainingLengthBytes = 4;

    /// <summary>Bytes read from the stream ahead of MQTTnet's reads.</summary>
    internal const int ReadBufferBytes = 4096;

    private byte[]? _readBuffer;
    private int _readStart;
    private int _readEnd;
    private Task<int>? _served;
    private int _servedCount;

    private readonly Stream _stream;
    private readonly Func<bool, int> _limit;
    private readonly BrokerConnection? _connection;
    private int _lengthBytes = -1; // -1: expecting a packet type byte; 0-3: remaining-length bytes read so far
    private long _length;
    private long _multiplier;
    private long _bodyLeft;
    private long _packets;
    private int _type;
    private byte[]? _disconnect; // body of a DISCONNECT being read, to find its Session Expiry Interval

    private const int DisconnectType = 14;
    private const int PublishType = 3;
    private int _qos;
    private byte[]? _prefix; // start of the PUBLISH body being read, for its Topic Alias (one buffer per connection)
    private int _prefixWanted;
    private int _prefixHave;
    private const int MaxDisconnectCaptured = 1024;

    // Held from the first part of a packet to its end (MQTTnet's writes), or for one WriteControlAsync.
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private bool _gateHeld;

    // Traffic for $SYS statistics: each field has one writer (the receive loop, or whoever holds the write gate), so no
    // interlocking.
    private long _bytesIn;
    private long _bytesOut;
    private long _packetsOut;
    private long _publishIn;
    private long _publishOut;
    private bool _outMidPacket;
    private long _controlWrites;

    /// <param name="stream">The connection's stream; owned and disposed by this channel.</param>
    /// <param name="localEndPoint">The listener's end point.</param>
    /// <param name="remoteEndPoint">The peer.</param>
    /// <param name="clientCertificate">The TLS client certificate, if any.</param>
    /// <param name="limit">Maximum packet size in bytes (fixed header included); the argument is true for the first packet.</param>
    /// <param name="connection">The connection, whose <see cref="BrokerConnection.IsDraining"/> turns reads into discarding.</param>
    public FrameGuardChannel(Stream stream, EndPoint localEndPoint, EndPoint remoteEndPoint, X509Certificate2? clientCertificate, Func<bool, int> limit,
        BrokerConnection? connection = null)
    {
        _connection = connection;
        _stream = stream;
        _limit = limit;
        LocalEndPoint = localEndPoint;
        RemoteEndPoint = remoteEndPoint;
        ClientCertificate = clientCertificate!;
        IsSecureConnection = stream is System.Net.Security.SslStream;
    }

    public X509Certificate2 ClientCertificate { get; }

    public EndPoint RemoteEndPoint { get; }

    public EndPoint LocalEndPoint { get; }

    public bool IsSecureConnection { get; }

    /// <summary>Complete packets whose header has passed (the first one is the CONNECT).</summary>
    public long PacketsStarted => Interlocked.Read(ref _packets);

    /// <summary>What passed this channel so far (readable from any thread).</summary>
    public TrafficCounts Traffic => new(Volatile.Read(ref _bytesIn), Volatile.Read(ref _bytesOut), Interlocked.Read(ref _packets),
        Volatile.Read(ref _packetsOut), Volatile.Read(ref _publishIn), Volatile.Read(ref _publishOut));

    public Task ConnectAsync(CancellationToken cancellationToken) => throw new NotSupportedException("server-side channel");

    public Task DisconnectAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        if (_readEnd > _readStart && _connection is not { IsDraining: true })
        {
            // Synchronous while the buffer holds bytes: most of MQTTnet's small reads end here. A refusal surfaces as a
            // faulted task, as it would from the stream read.
            try
            {
                return Served(Serve(buffer, offset, count));
            }
            catch (Exception e)
            {
                return Task.FromException<int>(e);
            }
        }
        return FillAndReadAsync(buffer, offset, count, cancellationToken);
    }

    /// <summary>
    /// A completed task for <paramref name="count"/>: MQTTnet reads each packet's body with one call, and devices tend to
    /// send packets of one size, so the task of the last count served is reused rather than allocated per packet.
    /// </summary>
    private Task<int> Served(int count)
    {
        if (_served is null || _servedCount != count)
        {
            _served = Task.FromResult(count);
            _servedCount = count;
        }
        return _served;
    }

    private async Task<int> FillAndReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        _readStart = _readEnd = 0; // empty, or draining: buffered bytes are discarded like the rest
        if (count >= ReadBufferBytes)
        {
            // A large body read gains nothing from the buffer: straight into MQTTnet's array.
            var direct = await ReadStreamAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _bytesIn, _bytesIn + direct);
            Inspect(buffer.AsSpan(offset, direct));
            return direct;
        }
        _readBuffer ??= new byte[ReadBufferBytes];
        var read = await ReadStreamAsync(_readBuffer, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return 0;
        }
        _readEnd = read;
        return Serve(buffer, offset, count);
    }

    private int Serve(byte[] buffer, int offset, int count)
    {
        var take = Math.Min(count, _readEnd - _readStart);
        _readBuffer.AsSpan(_readStart, take).CopyTo(buffer.AsSpan(offset, take));
        _readStart += take;
        Volatile.Write(ref _bytesIn, _bytesIn + take);
        Inspect(buffer.AsSpan(offset, take));
        return take;
    }

    private async ValueTask<int> ReadStreamAsync(Memory<byte> into, CancellationToken cancellationToken)
    {
        try
        {
            var read = await _stream.ReadAsync(into, cancellationToken).ConfigureAwait(false);
            // After our DISCONNECT, MQTTnet must see nothing more: discard until the client closes (or the linger aborts).
            while (read > 0 && _connection is { IsDraining: true })
            {
                read = await _stream.ReadAsync(into, cancellationToken).ConfigureAwait(false);
            }
            return read;
        }
        catch (ObjectDisposedException)
        {
            return 0; // closed by a timeout or the server stopping: a graceful end for MQTTnet
        }
        catch (IOException e) when (e.InnerException is SocketException)
        {
            return 0;
        }
    }

    public async Task WriteAsync(ReadOnlySequence<byte> buffer, bool isEndOfPacket, CancellationToken cancellationToken)
    {
        if (!_gateHeld)
        {
            await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            _gateHeld = true;
        }
        var written = false;
        try
        {
            if (!_outMidPacket && buffer.FirstSpan is { Length: > 0 } header)
            {
                Volatile.Write(ref _packetsOut, _packetsOut + 1);
                if (header[0] >> 4 == PublishType)
                {
                    Volatile.Write(ref _publishOut, _publishOut + 1);
                }
            }
            _outMidPacket = !isEndOfPacket;
            foreach (var segment in buffer)
            {
                await _stream.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
            }
            Volatile.Write(ref _bytesOut, _bytesOut + buffer.Length);
            written = true;
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException)
        {
            throw new MqttCommunicationException(e);
        }
        finally
        {
            if (isEndOfPacket || !written)
            {
                _gateHeld = false;
                _writeGate.Release();
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="count"/> whole small packets (acknowledgements) in one stream write, between MQTTnet's
    /// packets, never inside one.
    /// </summary>
    internal async Task WriteControlAsync(ReadOnlyMemory<byte> packets, int count, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Counted before it is made: the peer may act on the bytes before this continuation runs.
            Volatile.Write(ref _controlWrites, _controlWrites + 1);
            await _stream.WriteAsync(packets, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _packetsOut, _packetsOut + count);
            Volatile.Write(ref _bytesOut, _bytesOut + packets.Length);
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException)
        {
            throw new MqttCommunicationException(e);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Stream writes issued by <see cref="WriteControlAsync"/> so far.</summary>
    internal long ControlWrites => Volatile.Read(ref _controlWrites);

    public void Dispose()
    {
        try
        {
            _stream.Dispose();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Closing a connection that already failed: nothing left to release.
        }
    }

    private void Inspect(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            if (_bodyLeft > 0)
            {
                var skip = (int)Math.Min(_bodyLeft, bytes.Length - i);
                if (_prefixWanted > _prefixHave)
                {
                    var take = Math.Min(skip, _prefixWanted - _prefixHave);
                    bytes.Slice(i, take).CopyTo(_prefix.AsSpan(_prefixHave));
                    _prefixHave += take;
                    if (_prefixHave == _prefixWanted && PublishPropertyScan.HasTopicAliasZero(_prefix.AsSpan(0, _prefixHave), _qos))
                    {
                        throw new TopicAliasZeroException();
                    }
                }
                if (_disconnect is not null)
                {
                    bytes.Slice(i, skip).CopyTo(_disconnect.AsSpan(_disconnect.Length - (int)_bodyLeft));
                }
                _bodyLeft -= skip;
                i += skip;
                if (_bodyLeft == 0 && _disconnect is not null)
                {
                    _connection?.DisconnectReceived(_disconnect[0], DisconnectProperties.SessionExpiryInterval(_disconnect));
                    _disconnect = null;
                }
                continue;
            }
            var b = bytes[i++];
            if (_lengthBytes < 0)
            {
                if (_packets == 0 && (b >> 4) != 1)
                {
                    throw new MqttProtocolViolationException("the first packet must be CONNECT [MQTT-3.1.0-1]");
                }
                _type = b >> 4;
                _qos = (b >> 1) & 3;
                _lengthBytes = 0;
                _length = 0;
                _multiplier = 1;
                continue;
            }
            _length += (b & 0x7F) * _multiplier;
            _multiplier *= 128;
            _lengthBytes++;
            if ((b & 0x80) != 0)
            {
                if (_lengthBytes == MaxRemainingLengthBytes)
                {
                    throw new MqttProtocolViolationException("remaining length longer than four bytes");
                }
                continue;
            }
            var first = _packets == 0;
            var size = 1 + _lengthBytes + _length;
            var limit = _limit(first);
            if (size > limit)
            {
                throw new PacketTooLargeException(size, limit, first);
            }
            _bodyLeft = _length;
            _lengthBytes = -1;
            _prefixWanted = _prefixHave = 0;
            if (_type == PublishType && _length > 0 && _connection?.Adapter is { IsV5: true })
            {
                _prefix ??= new byte[PublishPropertyScan.PrefixBytes];
                _prefixWanted = (int)Math.Min(_length, PublishPropertyScan.PrefixBytes);
            }
            if (_type == DisconnectType && _connection is not null)
            {
                // MQTTnet decodes an absent Session Expiry Interval and an explicit 0 alike; the raw bytes tell them apart.
                if (_length <= MaxDisconnectCaptured && _length > 0)
                {
                    _disconnect = new byte[_length];
                }
                else
                {
                    _connection.DisconnectReceived(0, null); // no reason code: 0x00, normal disconnection
                }
            }
            if (_type == PublishType)
            {
                Volatile.Write(ref _publishIn, _publishIn + 1);
            }
            Interlocked.Increment(ref _packets);
        }
    }
}
