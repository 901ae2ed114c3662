namespace EdgeStream.Deploy.Tests;

/// <summary>
/// The arm64 Debian package, built once per test run by deploy/package/build-deb.sh from the plain
/// <c>dotnet publish -r linux-arm64</c> (the shipped build; publishing it costs minutes, so every test of
/// <see cref="Arm64PackageCollection"/> shares it).
/// </summary>
public sealed class Arm64Package : IAsyncLifetime
{
    private readonly TempDir _tmp = new("deb-arm64");

    /// <summary>The .deb file.</summary>
    public string Deb { get; private set; } = "";

    /// <summary>How long publishing and packaging took, for the record in the test output.</summary>
    public TimeSpan BuildTime { get; private set; }

    /// <summary>The build script's output.</summary>
    public string BuildOutput { get; private set; } = "";

    public string Combine(string relative) => _tmp.Combine(relative);

    public async ValueTask InitializeAsync()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        string[] args = [Path.Combine(Repo.Deploy, "package", "build-deb.sh"), "--arch", "arm64", "--version", "1.0.0", "--out", _tmp.Combine("out"),
            // xz (the default) takes minutes on 50 MB here; the layout lintian and dpkg see is the same.
            "--compression", "gzip"];
        // A CI job that already published linux-arm64 (plain `dotnet publish -c Release -r linux-arm64 -o <dir>`) can
        // hand that output over; otherwise it is published from a copy of the tree, never in the working tree (a RID
        // publish there rewrites obj/ and breaks the next locked restore).
        var published = Environment.GetEnvironmentVariable("EDGESTREAM_ARM64_PUBLISH") is { Length: > 0 } given
            ? given
            : await ShippedBuild.PublishDirectoryAsync("linux-arm64");
        args = [.. args, "--from", published];
        var result = await ExternalProcess.RunAsync("/bin/bash", args, TimeSpan.FromMinutes(20));
        BuildTime = started.Elapsed;
        BuildOutput = result.Output;
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException("build-deb.sh --arch arm64 failed:\n" + result.Output);
        }
        Deb = _tmp.Combine("out/edgestream_1.0.0_arm64.deb");
    }

    public ValueTask DisposeAsync()
    {
        _tmp.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The tests sharing one <see cref="Arm64Package"/> build.</summary>
[CollectionDefinition(nameof(Arm64PackageCollection))]
public sealed class Arm64PackageCollection : ICollectionFixture<Arm64Package>;
