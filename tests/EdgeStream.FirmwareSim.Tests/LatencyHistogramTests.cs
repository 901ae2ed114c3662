using EdgeStream.FirmwareSim.Fleet;

namespace EdgeStream.FirmwareSim.Tests;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Every_value_falls_inside_its_own_bucket()
    {
        var random = new Random(7);
        for (var i = 0; i < 100_000; i++)
        {
            var us = (long)Math.Pow(2, random.NextDouble() * 40);
            var (low, width) = LatencyHistogram.Bounds(LatencyHistogram.Index(us));
            Assert.InRange(us, low, low + width - 1);
            Assert.True(width <= Math.Max(1, low / 32), $"bucket of {us} is {width} wide");
        }
    }

    [Fact]
    public void Percentiles_of_a_uniform_distribution_are_within_two_percent()
    {
        var h = new LatencyHistogram();
        for (var us = 1; us <= 100_000; us++)
        {
            h.Record(TimeSpan.FromMicroseconds(us));
        }

        Assert.InRange(h.Percentile(50).TotalMicroseconds, 49_000, 51_000);
        Assert.InRange(h.Percentile(99).TotalMicroseconds, 97_000, 101_000);
        Assert.Equal(TimeSpan.FromMicroseconds(100_000), h.Max);
        Assert.Equal(TimeSpan.Zero, new LatencyHistogram().Percentile(99));
    }

    [Fact]
    public void Merged_histograms_count_both()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        a.Record(TimeSpan.FromMilliseconds(1));
        b.Record(TimeSpan.FromMilliseconds(100));
        b.Record(TimeSpan.FromMilliseconds(100));

        a.Add(b);

        Assert.InRange(a.Percentile(50).TotalMilliseconds, 98, 102);
        Assert.InRange(a.Percentile(10).TotalMilliseconds, 0.98, 1.02);
    }
}
