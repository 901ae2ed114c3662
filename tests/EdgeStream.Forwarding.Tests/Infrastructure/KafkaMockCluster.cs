using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace EdgeStream.Forwarding.Tests.Infrastructure;

/// <summary>
/// librdkafka's in-process mock cluster (3 brokers, topics auto-created with 4 partitions), owned by a Confluent
/// client that lives as long as this object. Confluent.Kafka has no managed API for the mock's controls, so
/// <see cref="SetBrokerDown"/>/<see cref="SetBrokerUp"/> call librdkafka's C functions on the owner's handle.
/// </summary>
public sealed class KafkaMockCluster : IDisposable
{
    private readonly IProducer<byte[], byte[]> _owner;

    public KafkaMockCluster()
    {
        var config = new ProducerConfig();
        config.Set("test.mock.num.brokers", "3");
        _owner = new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        using var admin = new DependentAdminClientBuilder(_owner.Handle).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        BootstrapServers = string.Join(",", metadata.Brokers.Select(b => $"{b.Host}:{b.Port}"));
        BrokerIds = metadata.Brokers.Select(b => b.BrokerId).ToArray();
    }

    public string BootstrapServers { get; }

    public IReadOnlyList<int> BrokerIds { get; }

    public void SetBrokerDown(int brokerId) => Check(Native.SetDown(Cluster(), brokerId));

    public void SetBrokerUp(int brokerId) => Check(Native.SetUp(Cluster(), brokerId));

    /// <summary>Makes metadata requests for <paramref name="topic"/> answer <paramref name="error"/> (e.g. TopicAuthorizationFailed).</summary>
    public void SetTopicError(string topic, ErrorCode error) => Native.TopicSetError(Cluster(), topic, (int)error);

    /// <summary>Reads every message of <paramref name="topic"/> (all 4 partitions) until <paramref name="until"/> holds or the timeout.</summary>
    public List<ConsumeResult<byte[]?, byte[]>> ConsumeAll(string topic, Func<List<ConsumeResult<byte[]?, byte[]>>, bool> until, TimeSpan timeout)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = "verify-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        using var consumer = new ConsumerBuilder<byte[]?, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Assign(Enumerable.Range(0, 4).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var all = new List<ConsumeResult<byte[]?, byte[]>>();
        var deadline = DateTime.UtcNow + timeout;
        // The condition may scan the whole list (distinct ids), so it is asked when the consumer has caught up or every
        // 1,000 messages, not per message: per message it cost O(n²) and timed out 10,000-record tests on a busy machine.
        var check = true;
        while (!(check && until(all)) && DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (r is not null && !r.IsPartitionEOF)
            {
                all.Add(r);
                check = all.Count % 1000 == 0;
            }
            else
            {
                check = true;
            }
        }
        consumer.Close();
        return all;
    }

    private IntPtr Cluster()
    {
        var prop = typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            ?? throw new InvalidOperationException("Confluent.Kafka.Handle.LibrdkafkaHandle not found: mock control unavailable in this version.");
        var safe = (SafeHandle)prop.GetValue(_owner.Handle)!;
        var cluster = Native.HandleMockCluster(safe.DangerousGetHandle());
        return cluster == IntPtr.Zero ? throw new InvalidOperationException("client has no mock cluster") : cluster;
    }

    private static void Check(int err)
    {
        if (err != 0)
        {
            throw new InvalidOperationException($"librdkafka mock call failed: {err}");
        }
    }

    public void Dispose() => _owner.Dispose();

    private static class Native
    {
        // Confluent.Kafka picks one of several bundled builds at run time; use exactly the one it loaded.
        private static readonly IntPtr Lib = NativeLibrary.Load(
            File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length >= 6 && f[5].Contains("librdkafka", StringComparison.Ordinal)).Select(f => f[5]).FirstOrDefault()
            ?? throw new InvalidOperationException("librdkafka is not loaded yet"));

        public static readonly HandleMockClusterFn HandleMockCluster = Get<HandleMockClusterFn>("rd_kafka_handle_mock_cluster");
        public static readonly BrokerFn SetDown = Get<BrokerFn>("rd_kafka_mock_broker_set_down");
        public static readonly BrokerFn SetUp = Get<BrokerFn>("rd_kafka_mock_broker_set_up");

        public static readonly TopicSetErrorFn TopicSetError = Get<TopicSetErrorFn>("rd_kafka_mock_topic_set_error");

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate IntPtr HandleMockClusterFn(IntPtr rk);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void TopicSetErrorFn(IntPtr cluster, [MarshalAs(UnmanagedType.LPUTF8Str)] string topic, int error);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate int BrokerFn(IntPtr cluster, int brokerId);

        private static T Get<T>(string name) where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(Lib, name));
    }
}
