using EdgeStream.Host.Run;

namespace EdgeStream.Host.Tests;

/// <summary>The thread-pool minimum is process-wide: these run one at a time and put it back.</summary>
[Collection(nameof(ThreadPoolFloorTests))]
[CollectionDefinition(nameof(ThreadPoolFloorTests), DisableParallelization = true)]
public sealed class ThreadPoolFloorTests
{
    [Fact]
    public void The_minimum_becomes_one_worker_more_than_there_are_cores()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        try
        {
            Assert.True(ThreadPool.SetMinThreads(1, completionPorts));
            ThreadPoolFloor.Apply();
            ThreadPool.GetMinThreads(out var after, out var portsAfter);
            Assert.Equal(Environment.ProcessorCount + 1, after);
            Assert.Equal(completionPorts, portsAfter);
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, completionPorts);
        }
    }

    [Fact]
    public void A_larger_configured_minimum_is_left_as_it_is()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        try
        {
            var configured = Environment.ProcessorCount + 8;
            Assert.True(ThreadPool.SetMinThreads(configured, completionPorts));
            ThreadPoolFloor.Apply();
            ThreadPool.GetMinThreads(out var after, out _);
            Assert.Equal(configured, after);
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, completionPorts);
        }
    }
}
