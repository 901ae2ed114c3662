using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace EdgeStream.TestKit;

/// <summary>
/// The shipped <c>edgestream</c> executable: what <c>dotnet publish src/EdgeStream.Host -c Release -r &lt;rid&gt;</c>
/// produces (NativeAOT, see the Host's csproj), so end-to-end tests exercise the build users run and a trimming or AOT
/// break fails the suite. <see cref="EnvironmentVariable"/> names a published executable (set it to skip publishing;
/// test.sh does not); otherwise the first test that asks publishes from a copy of the sources into a directory under the temp
/// directory keyed by a hash of every input, so a suite run publishes once (test processes wait on a file lock) and a
/// rerun without changes publishes nothing. Thread-safe.
/// </summary>
public static class ShippedBuild
{
    /// <summary>The environment variable naming an already published <c>edgestream</c> executable.</summary>
    public const string EnvironmentVariable = "EDGESTREAM_SHIPPED_BUILD";

    private static readonly Lazy<Task<string>> Path_ = new(LocateAsync);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<string>>> Outputs = new(StringComparer.Ordinal);

    /// <summary>The full path of the shipped <c>edgestream</c> executable; publishes it first if needed.</summary>
    public static Task<string> GetAsync() => Path_.Value;

    /// <summary>
    /// The output directory of the plain <c>dotnet publish src/EdgeStream.Host -c Release -r <paramref name="rid"/></c>,
    /// published once per source hash from a copy of the tree (a RID publish in the working tree would rewrite its
    /// obj/ folders and break the next locked restore).
    /// </summary>
    public static Task<string> PublishDirectoryAsync(string rid) => Outputs.GetOrAdd(rid, r => new(() => PublishedAsync(r))).Value;

    private static async Task<string> LocateAsync()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } given)
        {
            var exe = Directory.Exists(given) ? Path.Combine(given, "edgestream") : given;
            return File.Exists(exe) ? exe : throw new InvalidOperationException($"{EnvironmentVariable}={given}: no edgestream executable there.");
        }
        var rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        return Path.Combine(await PublishDirectoryAsync(rid), "edgestream");
    }

    private static async Task<string> PublishedAsync(string rid)
    {
        var repo = FindRepo();
        var key = InputsHash(repo, rid);
        var cache = Path.Combine(Path.GetTempPath(), "edgestream-shipped", $"{rid}-{key}");
        var output = Path.Combine(cache, "out");
        var executable = Path.Combine(output, "edgestream");
        var done = Path.Combine(cache, "published");
        Directory.CreateDirectory(cache);
        using (await LockAsync(Path.Combine(cache, "lock"), TimeSpan.FromMinutes(20)))
        {
            if (File.Exists(done) && File.Exists(executable))
            {
                return output;
            }
            await PublishAsync(repo, cache, rid, output);
            await File.WriteAllTextAsync(done, DateTime.UtcNow.ToString("O"));
        }
        return output;
    }

    private static async Task PublishAsync(string repo, string cache, string rid, string output)
    {
        // From a copy: publishing with a RID restores and writes obj/ of every project, which would race a build of the
        // working tree running beside the tests.
        var src = Path.Combine(cache, "src");
        if (Directory.Exists(src))
        {
            Directory.Delete(src, recursive: true);
        }
        foreach (var file in Inputs(repo))
        {
            var to = Path.Combine(src, Path.GetRelativePath(repo, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        var log = Path.Combine(cache, "publish.log");
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = src, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // No node reuse: test.sh publishes in the background while it builds the solution, and a build must not hand
        // its work to the other's MSBuild nodes or keep them alive after the publish.
        foreach (var a in new[] { "publish", "src/EdgeStream.Host", "-c", "Release", "-r", rid, "-o", output, "-nologo", "-tl:off", "-nodeReuse:false" })
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        var timedOut = false;
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
        var text = await stdout + await stderr;
        await File.WriteAllTextAsync(log, text);
        if (timedOut)
        {
            throw new TimeoutException($"publishing the shipped build for {rid} took over 20 minutes and was killed (log: {log}).");
        }
        if (p.ExitCode != 0)
        {
            var errors = text.Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Distinct().Take(20);
            throw new InvalidOperationException($"publishing the shipped build failed (exit {p.ExitCode}, full log {log}):\n{string.Join('\n', errors)}");
        }
        Directory.Delete(src, recursive: true);
    }

    /// <summary>Every file the publish reads from the repository: the sources, the build props, the embedded example.</summary>
    private static IEnumerable<string> Inputs(string repo)
    {
        foreach (var name in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json", ".editorconfig", "NuGet.config", "nuget.config" })
        {
            var f = Path.Combine(repo, name);
            if (File.Exists(f))
            {
                yield return f;
            }
        }
        foreach (var dir in new[] { "src", "deploy/examples" })
        {
            foreach (var f in Directory.EnumerateFiles(Path.Combine(repo, dir), "*", SearchOption.AllDirectories)
                .Where(f => !Path.GetRelativePath(repo, f).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
                .Order(StringComparer.Ordinal))
            {
                yield return f;
            }
        }
    }

    private static string InputsHash(string repo, string rid)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{rid}\n{RuntimeInformation.FrameworkDescription}\n"));
        foreach (var f in Inputs(repo))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(repo, f) + "\n"));
            sha.AppendData(File.ReadAllBytes(f));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset())[..16];
    }

    private static string FindRepo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "EdgeStream.sln")))
            {
                return d.FullName;
            }
        }
        throw new InvalidOperationException("EdgeStream.sln not found above the test's directory; set " + EnvironmentVariable + ".");
    }

    /// <summary>An exclusive lock on <paramref name="path"/> across processes (.NET maps FileShare.None to flock on Linux).</summary>
    private static async Task<FileStream> LockAsync(string path, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (deadline.Elapsed < timeout)
            {
                // Another test process is publishing: poll until it is done.
                await Task.Delay(500);
            }
        }
    }
}
