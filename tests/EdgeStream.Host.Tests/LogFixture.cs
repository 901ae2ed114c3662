using System.CommandLine;
using EdgeStream.Host.LogVerbs;
using EdgeStream.Log;

namespace EdgeStream.Host.Tests;

/// <summary>A temporary data directory, a way to fill it through the real log, and the <c>log</c> verbs run in-process.</summary>
internal sealed class LogFixture : IDisposable
{
    public LogFixture()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "es-host-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataDirectory);
    }

    public string DataDirectory { get; }

    /// <summary>Opens the log (the topic gets <paramref name="partitions"/>), lets <paramref name="fill"/> write, then closes it.</summary>
    public async Task WriteAsync(string topic, int partitions, Func<LogStore, Task> fill)
    {
        var options = new LogOptions { DataDirectory = DataDirectory, CommitPolicy = "group", MinFreeBytes = 0, MinFreePercent = 0 };
        options.Topics[topic] = new TopicSettings { Partitions = partitions };
        await using var store = await LogStore.OpenAsync(options);
        store.EnsureTopic(topic);
        await fill(store);
        await store.FlushAsync();
    }

    /// <summary>Runs <c>edgestream log {args} --data {dir}</c> and returns its exit code and output.</summary>
    public Task<VerbResult> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    public async Task<VerbResult> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        var root = new RootCommand { LogCommand.Create() };
        var output = new StringWriter();
        var error = new StringWriter();
        string[] full = ["log", .. args, "--data", DataDirectory];
        var parse = root.Parse(full);
        var code = UsageExitCode.For(parse, await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken));
        return new VerbResult(code, output.ToString(), error.ToString());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; failing the test over it is not.
        }
    }
}

internal sealed record VerbResult(int ExitCode, string Output, string Error)
{
    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
