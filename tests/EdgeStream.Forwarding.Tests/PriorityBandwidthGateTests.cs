using EdgeStream.Forwarding.Tests.Infrastructure;

namespace EdgeStream.Forwarding.Tests;

public sealed class PriorityBandwidthGateTests
{
    private static ManualLimiter ManualBucket(int tokens) => new(tokens);

    [Fact]
    public async Task Higher_priority_waiters_get_bandwidth_first_and_equal_priorities_keep_arrival_order()
    {
        var ct = TestContext.Current.CancellationToken;
        using var bucket = ManualBucket(100);
        using var gate = PriorityBandwidthGate.With(bucket, 100);
        var order = new List<string>();

        await gate.AcquireAsync(0, 100, ct);                                         // empties the bucket
        var holder = Track(gate.AcquireAsync(0, 100, ct), "holder", order);        // holds the turn, waits for tokens
        var low1 = Track(gate.AcquireAsync(0, 100, ct), "low1", order);
        var low2 = Track(gate.AcquireAsync(0, 100, ct), "low2", order);
        var alarm = Track(gate.AcquireAsync(9, 100, ct), "alarm", order);

        for (var i = 0; i < 4; i++)
        {
            bucket.Add(100);
            await WhenOneMoreAsync(order, i + 1);
        }
        await Task.WhenAll(holder, low1, low2, alarm);
        Assert.Equal(["holder", "alarm", "low1", "low2"], order);
    }

    [Fact]
    public async Task A_batch_larger_than_the_bucket_is_let_through_in_chunks()
    {
        using var bucket = ManualBucket(100);
        using var gate = PriorityBandwidthGate.With(bucket, 100);
        var big = gate.AcquireAsync(0, 250, TestContext.Current.CancellationToken).AsTask();
        Assert.False(big.IsCompleted);
        bucket.Add(100);
        bucket.Add(100);
        await big.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Without_a_cap_acquire_completes_at_once()
    {
        using var gate = PriorityBandwidthGate.Unlimited();
        Assert.True(gate.AcquireAsync(0, long.MaxValue, TestContext.Current.CancellationToken).IsCompleted);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_cancelled_waiter_is_skipped()
    {
        using var bucket = ManualBucket(100);
        using var gate = PriorityBandwidthGate.With(bucket, 100);
        await gate.AcquireAsync(0, 100, TestContext.Current.CancellationToken);
        var holder = gate.AcquireAsync(0, 100, TestContext.Current.CancellationToken).AsTask();
        using var cts = new CancellationTokenSource();
        var cancelled = gate.AcquireAsync(5, 100, cts.Token).AsTask();
        var next = gate.AcquireAsync(0, 100, TestContext.Current.CancellationToken).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        bucket.Add(100);
        await holder.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        bucket.Add(100);
        await next.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_lower_priority_waiter_yields_while_a_higher_priority_partition_has_a_backlog_even_when_not_waiting()
    {
        using var bucket = ManualBucket(100);
        using var gate = PriorityBandwidthGate.With(bucket, 100);
        gate.SetBacklog(9, true);                                   // the alarm partition is busy sending its last batch
        var bulk = gate.AcquireAsync(0, 10, TestContext.Current.CancellationToken).AsTask();
        Assert.False(bulk.IsCompleted);                             // tokens are there, yet bulk waits
        await gate.AcquireAsync(9, 10, TestContext.Current.CancellationToken);  // the alarm partition goes straight through
        Assert.False(bulk.IsCompleted);
        gate.SetBacklog(9, false);                                  // alarms caught up
        await bulk.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    private static async Task Track(ValueTask task, string name, List<string> order)
    {
        await task;
        lock (order)
        {
            order.Add(name);
        }
    }

    private static Task WhenOneMoreAsync(List<string> order, int count)
        => Poll.UntilAsync(() =>
        {
            lock (order)
            {
                return order.Count >= count;
            }
        }, TimeSpan.FromSeconds(10), "the waiter to proceed");
}
