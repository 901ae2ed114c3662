using EdgeStream.Processing.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace EdgeStream.Processing.Tests.Runtime;

public sealed class SkipReportTests
{
    [Fact]
    public void Skipped_records_are_reported_at_once_then_at_most_once_per_interval_with_the_count_since_the_last_line()
    {
        var time = new FakeTimeProvider();
        var report = new SkipReport(time);

        Assert.False(report.TryTake(0, out _));
        Assert.True(report.TryTake(1, out var first));
        Assert.Equal(1, first);

        // A device keeps sending: thousands of records within the interval give no line.
        for (long total = 2; total <= 5000; total++)
        {
            Assert.False(report.TryTake(total, out _));
        }
        time.Advance(SkipReport.Interval);
        Assert.True(report.TryTake(5000, out var second));
        Assert.Equal(4999, second);

        // Nothing new: no line, however long it has been.
        time.Advance(SkipReport.Interval * 10);
        Assert.False(report.TryTake(5000, out _));
        Assert.True(report.TryTake(5001, out var third));
        Assert.Equal(1, third);
    }
}
