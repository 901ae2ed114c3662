using EdgeStream.Forwarding.Tests.Infrastructure;

namespace EdgeStream.Forwarding.Tests;

public sealed class CursorCommitterTests
{
    [Fact]
    public async Task Requests_are_coalesced_and_flush_leaves_the_newest_offset_durable_in_the_log()
    {
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("c", 1, 10);
        var committer = new CursorCommitter(log.Store, "sink", "c", 0, 0, TimeSpan.FromMilliseconds(20), TimeProvider.System);
        for (var i = 1; i <= 10; i++)
        {
            committer.Request(i);
        }
        committer.Request(5);   // never moves backwards
        await committer.FlushAsync();

        Assert.Equal(10, committer.Committed);
        Assert.Equal(10, log.Store.GetCursor("sink", "c", 0));
        await log.ReopenAsync(partitions: 1);
        Assert.Equal(10, log.Store.GetCursor("sink", "c", 0));
    }

    [Fact]
    public async Task A_failed_commit_surfaces_on_the_next_request()
    {
        await using var log = await TestLog.OpenAsync(partitions: 1);
        await log.FillAsync("c", 1, 1);
        // An invalid cursor name makes the log refuse the commit.
        var committer = new CursorCommitter(log.Store, "bad/name", "c", 0, 0, TimeSpan.FromMilliseconds(20), TimeProvider.System);
        committer.Request(1);
        await Assert.ThrowsAsync<ArgumentException>(committer.FlushAsync);
        Assert.Throws<ArgumentException>(() => committer.Request(2));
    }
}
