namespace EdgeStream.Deploy.Tests;

/// <summary>
/// A throwaway root for <c>dpkg --root</c>: an empty package database and minimal account files, so the package's
/// maintainer scripts (run unchrooted with <c>DPKG_ROOT</c> set) create the user and groups in it, not on this machine.
/// </summary>
internal sealed class DpkgRoot
{
    public DpkgRoot(string path)
    {
        Path = path;
        foreach (var dir in new[] { "var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "etc" })
        {
            Directory.CreateDirectory(Combine(dir));
        }
        File.WriteAllText(Combine("var/lib/dpkg/status"), "");
        File.WriteAllText(Combine("etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n");
        File.WriteAllText(Combine("etc/shadow"), "root:*:19000:0:99999:7:::\n");
        // One device group exists already (as on Raspberry Pi OS, with its own gid); the others the package creates.
        File.WriteAllText(Combine("etc/group"), "root:x:0:\ngpio:x:997:\n");
        File.WriteAllText(Combine("etc/gshadow"), "root:*::\ngpio:!::\n");
    }

    public string Path { get; }

    public string Combine(string relative) => System.IO.Path.Combine(Path, relative);

    /// <summary>
    /// Runs dpkg against this root. Dependencies are not installed in it (<c>--force-depends</c>), and a package of
    /// another architecture is accepted (<c>--force-architecture</c>: the arm64 package on an amd64 builder).
    /// </summary>
    public Task<ToolResult> DpkgAsync(params string[] args) =>
        ExternalProcess.RunAsync("dpkg", ["--root=" + Path, "--force-script-chrootless", "--force-depends", "--force-architecture", .. args], TimeSpan.FromMinutes(2));

    /// <summary>The account line of <paramref name="name"/> in the root's <paramref name="file"/> (passwd, group), or null.</summary>
    public string? Entry(string file, string name) =>
        File.ReadAllLines(Combine("etc/" + file)).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal));
}
