using MQTTnet;

namespace EdgeStream.Ingest.Mqtt.Tests.Mqtt5;

/// <summary>Collects the messages a client receives and lets a test await a condition on them (bounded).</summary>
internal sealed class MessageCollector
{
    private readonly List<MqttApplicationMessage> _messages = [];
    private readonly SemaphoreSlim _arrived = new(0);

    public MessageCollector(IMqttClient client)
        => client.ApplicationMessageReceivedAsync += e =>
        {
            lock (_messages)
            {
                _messages.Add(e.ApplicationMessage);
            }
            _arrived.Release();
            return Task.CompletedTask;
        };

    public List<MqttApplicationMessage> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    public List<string> Topics => [.. Messages.Select(m => m.Topic)];

    /// <summary>Waits until <paramref name="condition"/> holds, checked after each message (bounded).</summary>
    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan? limit = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(limit ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await _arrived.WaitAsync(cts.Token);
        }
    }

    /// <summary>Waits until a message on <paramref name="topic"/> has arrived.</summary>
    public async Task WaitForTopicAsync(string topic, TimeSpan? limit = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(limit ?? TimeSpan.FromSeconds(10));
        while (!Topics.Contains(topic))
        {
            await _arrived.WaitAsync(cts.Token);
        }
    }
}
