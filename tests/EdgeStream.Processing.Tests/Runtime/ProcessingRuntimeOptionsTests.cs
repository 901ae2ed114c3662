using EdgeStream.Processing.Hosting;

namespace EdgeStream.Processing.Tests.Runtime;

public class ProcessingRuntimeOptionsTests
{
    [Fact]
    public void Invalid_runtime_settings_are_refused_with_errors_naming_their_keys()
    {
        var result = new ProcessingRuntimeOptionsValidator().Validate(null, new ProcessingRuntimeOptions
        {
            SnapshotInterval = TimeSpan.Zero,
            MaxBatchRecords = 0,
            RestartDelay = TimeSpan.FromSeconds(10),
            MaxRestartDelay = TimeSpan.FromSeconds(1),
        });

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("Processing:SnapshotInterval: ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Processing:MaxBatchRecords: ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Processing:MaxRestartDelay: ", StringComparison.Ordinal));
        Assert.True(new ProcessingRuntimeOptionsValidator().Validate(null, new ProcessingRuntimeOptions()).Succeeded);
    }
}
