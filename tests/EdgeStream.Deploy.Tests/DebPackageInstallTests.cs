namespace EdgeStream.Deploy.Tests;

/// <summary>
/// The Debian package's install, upgrade, remove and purge, with <c>dpkg --root</c> into a throwaway root. The
/// package is built by deploy/package/build-deb.sh from a fake publish output (the real program is exercised by
/// <see cref="Arm64PackageTests"/>), so these tests check the package's layout and maintainer scripts quickly.
/// </summary>
public sealed class DebPackageInstallTests : IDisposable
{
    private const string Conffile = "etc/edgestream/appsettings.json";

    private readonly TempDir _tmp = new("deb");
    private readonly DpkgRoot _root;
    private readonly string _arch;

    public DebPackageInstallTests()
    {
        _root = new DpkgRoot(_tmp.Combine("root"));
        _arch = ExternalProcess.RunAsync("dpkg", ["--print-architecture"], TimeSpan.FromMinutes(2)).GetAwaiter().GetResult().Stdout.Trim();
    }

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public async Task Install_lays_out_program_unit_conffile_user_groups_and_data_dir()
    {
        RequireRoot();
        var deb = await BuildAsync("1.0.0", "v1");

        var result = await _root.DpkgAsync("--install", deb);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal("v1", File.ReadAllText(_root.Combine("usr/lib/edgestream/payload.txt")));
        Assert.Equal("../lib/edgestream/edgestream", new FileInfo(_root.Combine("usr/bin/edgestream")).LinkTarget);
        var unit = UnitFile.Parse(File.ReadAllText(_root.Combine("lib/systemd/system/edgestream.service")));
        Assert.StartsWith("/usr/lib/edgestream/edgestream run --config /etc/edgestream/appsettings.json", unit.Single("Service", "ExecStart"), StringComparison.Ordinal);
        Assert.Equal("gpio i2c spi", unit.Single("Service", "SupplementaryGroups"));
        Assert.Equal(File.ReadAllText(Path.Combine(Repo.Deploy, "appsettings.json")), File.ReadAllText(_root.Combine(Conffile)));
        Assert.Contains("/etc/edgestream/appsettings.json", File.ReadAllText(_root.Combine("var/lib/dpkg/info/edgestream.conffiles")), StringComparison.Ordinal);
        // The system user, with no login, in the device groups: the existing gpio group kept its gid, i2c and spi were created.
        var user = _root.Entry("passwd", "edgestream");
        Assert.NotNull(user);
        Assert.EndsWith(":/var/lib/edgestream:/usr/sbin/nologin", user, StringComparison.Ordinal);
        Assert.Equal("gpio:x:997:edgestream", _root.Entry("group", "gpio"));
        Assert.EndsWith(":edgestream", _root.Entry("group", "i2c"), StringComparison.Ordinal);
        Assert.EndsWith(":edgestream", _root.Entry("group", "spi"), StringComparison.Ordinal);
        // The data directory belongs to the user, closed to others.
        var uid = int.Parse(user.Split(':')[2], System.Globalization.CultureInfo.InvariantCulture);
        var data = new DirectoryInfo(_root.Combine("var/lib/edgestream"));
        Assert.True(data.Exists);
        Assert.Equal(uid, await OwnerAsync(data.FullName));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute, data.UnixFileMode);
        // Enabled as systemd would have it, in the root, not on this machine.
        Assert.Equal("/lib/systemd/system/edgestream.service", new FileInfo(_root.Combine("etc/systemd/system/multi-user.target.wants/edgestream.service")).LinkTarget);
        Assert.Contains("ii  edgestream", (await _root.DpkgAsync("--list", "edgestream")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upgrade_replaces_the_program_and_keeps_the_changed_conffile_and_the_data()
    {
        RequireRoot();
        Assert.True((await _root.DpkgAsync("--install", await BuildAsync("1.0.0", "v1"))).ExitCode == 0);
        const string Mine = """{ "Mqtt": { "Port": 1884 } }""";
        File.WriteAllText(_root.Combine(Conffile), Mine);
        var segment = _root.Combine("var/lib/edgestream/mqtt-0/00000000000000000000.log");
        Directory.CreateDirectory(Path.GetDirectoryName(segment)!);
        File.WriteAllText(segment, "records");
        // v2 ships a different default config too, so dpkg must choose: the admin's copy stays, as apt's default does.
        var v2 = await BuildAsync("1.1.0", "v2", defaultConfig: """{ "Mqtt": { "Port": 1883 }, "New": true }""");

        var result = await _root.DpkgAsync("--force-confdef", "--force-confold", "--install", v2);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal("v2", File.ReadAllText(_root.Combine("usr/lib/edgestream/payload.txt")));
        Assert.Equal(Mine, File.ReadAllText(_root.Combine(Conffile)));
        Assert.Contains("\"New\": true", File.ReadAllText(_root.Combine(Conffile + ".dpkg-dist")), StringComparison.Ordinal);
        Assert.Equal("records", File.ReadAllText(segment));
        Assert.Contains("1.1.0", (await _root.DpkgAsync("--status", "edgestream")).Stdout, StringComparison.Ordinal);
        Assert.Single(File.ReadAllLines(_root.Combine("etc/passwd")), l => l.StartsWith("edgestream:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Remove_keeps_config_and_data_and_purge_removes_them()
    {
        RequireRoot();
        Assert.True((await _root.DpkgAsync("--install", await BuildAsync("1.0.0", "v1"))).ExitCode == 0);
        File.WriteAllText(_root.Combine(Conffile), "{}");
        File.WriteAllText(_root.Combine("var/lib/edgestream/cursors.json"), "cursors");

        var remove = await _root.DpkgAsync("--remove", "edgestream");

        Assert.True(remove.ExitCode == 0, remove.Output);
        Assert.False(Directory.Exists(_root.Combine("usr/lib/edgestream")));
        Assert.False(File.Exists(_root.Combine("lib/systemd/system/edgestream.service")));
        Assert.Equal("{}", File.ReadAllText(_root.Combine(Conffile)));
        Assert.Equal("cursors", File.ReadAllText(_root.Combine("var/lib/edgestream/cursors.json")));

        var purge = await _root.DpkgAsync("--purge", "edgestream");

        Assert.True(purge.ExitCode == 0, purge.Output);
        Assert.False(Directory.Exists(_root.Combine("etc/edgestream")));
        Assert.False(Directory.Exists(_root.Combine("var/lib/edgestream")));
        Assert.Null(new FileInfo(_root.Combine("etc/systemd/system/multi-user.target.wants/edgestream.service")).LinkTarget);
        Assert.DoesNotContain("edgestream", (await _root.DpkgAsync("--get-selections")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Build_refuses_a_framework_dependent_publish()
    {
        var build = FakePublish("fd", "v1");
        File.WriteAllText(Path.Combine(build, "edgestream.runtimeconfig.json"),
            """{ "runtimeOptions": { "tfm": "net10.0", "framework": { "name": "Microsoft.NETCore.App", "version": "10.0.0" } } }""");

        var result = await BuildScriptAsync("--arch", _arch, "--from", build, "--version", "1.0.0", "--out", _tmp.Combine("out"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("framework-dependent", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.Exists(_tmp.Combine("out")) ? Directory.GetFiles(_tmp.Combine("out")) : []);
    }

    [Fact]
    public async Task Build_refuses_a_native_library_of_the_wrong_architecture()
    {
        var build = FakePublish("wrongarch", "v1");
        // An ELF file of the other architecture, as a wrong librdkafka.so would be.
        File.Copy(_arch == "arm64" ? "/lib/x86_64-linux-gnu/libc.so.6" : "/usr/lib/aarch64-linux-gnu/libc.so.6", Path.Combine(build, "librdkafka.so"));

        var result = await BuildScriptAsync("--arch", _arch, "--from", build, "--version", "1.0.0", "--out", _tmp.Combine("out"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("librdkafka.so is built for", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("build-deb.sh", "bash")]
    [InlineData("debian/postinst", "sh")]
    [InlineData("debian/prerm", "sh")]
    [InlineData("debian/postrm", "sh")]
    public async Task Package_scripts_are_shellcheck_clean(string script, string shell)
    {
        var shellcheck = ExternalProcess.Which("shellcheck")
            ?? throw new InvalidOperationException("shellcheck not found: install the Debian package 'shellcheck'.");

        var result = await ExternalProcess.RunAsync(shellcheck, ["--shell=" + shell, Path.Combine(Repo.Deploy, "package", script)], TimeSpan.FromMinutes(2));

        Assert.True(result.ExitCode == 0, result.Output);
    }

    private static void RequireRoot()
    {
        if (Environment.UserName != "root")
        {
            Assert.Skip("dpkg --root and useradd --prefix need root, even against a throwaway root.");
        }
    }

    private string FakePublish(string name, string payload)
    {
        var build = _tmp.Combine("publish-" + name);
        Directory.CreateDirectory(build);
        var exe = Path.Combine(build, "edgestream");
        File.WriteAllText(exe, "#!/bin/sh\necho fake edgestream\n");
        File.SetUnixFileMode(exe, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(build, "payload.txt"), payload);
        return build;
    }

    private async Task<string> BuildAsync(string version, string payload, string? defaultConfig = null)
    {
        var build = FakePublish(version, payload);
        string[] extra = [];
        if (defaultConfig is not null)
        {
            var config = _tmp.Combine($"appsettings-{version}.json");
            File.WriteAllText(config, defaultConfig);
            extra = ["--config", config];
        }
        var outDir = _tmp.Combine("out-" + version);
        var result = await BuildScriptAsync(["--arch", _arch, "--from", build, "--version", version, "--out", outDir, "--compression", "none", .. extra]);
        Assert.True(result.ExitCode == 0, result.Output);
        return Path.Combine(outDir, $"edgestream_{version}_{_arch}.deb");
    }

    private static Task<ToolResult> BuildScriptAsync(params string[] args) =>
        ExternalProcess.RunAsync("/bin/bash", [Path.Combine(Repo.Deploy, "package", "build-deb.sh"), .. args], TimeSpan.FromMinutes(2));

    private static async Task<int> OwnerAsync(string path)
    {
        var stat = await ExternalProcess.RunAsync("stat", ["-c", "%u", path], TimeSpan.FromMinutes(2));
        return int.Parse(stat.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
