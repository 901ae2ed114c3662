namespace EdgeStream.Deploy.Tests;

/// <summary>deploy/install.sh into a temporary root (<c>--prefix</c>) from a fake publish output (<c>--from</c>).</summary>
[Trait("Category", "Slow")]
public sealed class InstallScriptTests : IDisposable
{
    private static readonly string Script = Path.Combine(Repo.Deploy, "install.sh");

    private readonly TempDir _tmp = new("deploy");
    private readonly string _root;
    private readonly string _build;

    public InstallScriptTests()
    {
        _root = _tmp.Combine("root");
        _build = _tmp.Combine("publish");
        Directory.CreateDirectory(Path.Combine(_build, "runtimes"));
        var exe = Path.Combine(_build, "edgestream");
        File.WriteAllText(exe, "#!/bin/sh\necho fake edgestream\n");
        File.SetUnixFileMode(exe, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(_build, "edgestream.dll"), "not really an assembly");
        File.WriteAllText(Path.Combine(_build, "runtimes", "native.so"), "native");
    }

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public async Task Install_into_a_prefix_lays_out_program_config_unit_and_data_dir()
    {
        await InstallAsync();

        var exe = Path.Combine(_root, "opt/edgestream/edgestream");
        Assert.True(File.Exists(exe));
        Assert.True(File.GetUnixFileMode(exe).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal("native", File.ReadAllText(Path.Combine(_root, "opt/edgestream/runtimes/native.so")));
        Assert.Equal(File.ReadAllText(Path.Combine(Repo.Deploy, "appsettings.json")),
            File.ReadAllText(Path.Combine(_root, "etc/edgestream/appsettings.json")));
        var unit = File.ReadAllText(Path.Combine(_root, "etc/systemd/system/edgestream.service"));
        Assert.Contains("ExecStart=/opt/edgestream/edgestream run --config /etc/edgestream/appsettings.json --data /var/lib/edgestream", unit, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(_root, "var/lib/edgestream")));
        // Nothing of the service lands outside the prefix.
        Assert.Equal(["etc", "opt", "var"], Directory.GetDirectories(_root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Second_install_succeeds_keeps_the_config_and_replaces_the_program()
    {
        await InstallAsync();
        var config = Path.Combine(_root, "etc/edgestream/appsettings.json");
        File.WriteAllText(config, """{ "Log": { "DataDirectory": "/srv/mine" } }""");
        File.Delete(Path.Combine(_build, "edgestream.dll"));
        File.WriteAllText(Path.Combine(_build, "new.dll"), "v2");

        var second = await InstallAsync();

        Assert.Contains("kept existing", second.Stdout, StringComparison.Ordinal);
        Assert.Equal("""{ "Log": { "DataDirectory": "/srv/mine" } }""", File.ReadAllText(config));
        Assert.Equal("v2", File.ReadAllText(Path.Combine(_root, "opt/edgestream/new.dll")));
        Assert.False(File.Exists(Path.Combine(_root, "opt/edgestream/edgestream.dll")), "a file of the previous version lingered");
    }

    [Fact]
    public async Task Uninstall_removes_program_and_unit_and_keeps_config_and_data()
    {
        await InstallAsync();
        var record = Path.Combine(_root, "var/lib/edgestream/sensors-0.log");
        File.WriteAllText(record, "data");

        var result = await RunAsync("--uninstall", "--prefix", _root);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.False(Directory.Exists(Path.Combine(_root, "opt/edgestream")));
        Assert.False(File.Exists(Path.Combine(_root, "etc/systemd/system/edgestream.service")));
        Assert.True(File.Exists(Path.Combine(_root, "etc/edgestream/appsettings.json")));
        Assert.Equal("data", File.ReadAllText(record));
    }

    [Fact]
    public async Task Uninstall_with_purge_also_removes_config_and_data()
    {
        await InstallAsync();

        var result = await RunAsync("--uninstall", "--purge", "--prefix", _root);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.False(Directory.Exists(Path.Combine(_root, "etc/edgestream")));
        Assert.False(Directory.Exists(Path.Combine(_root, "var/lib/edgestream")));
        Assert.False(Directory.Exists(Path.Combine(_root, "opt/edgestream")));
    }

    [Fact]
    public async Task Install_refuses_a_build_without_the_edgestream_executable()
    {
        File.Delete(Path.Combine(_build, "edgestream"));

        var result = await RunAsync("--prefix", _root, "--from", _build);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no executable 'edgestream'", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, "opt/edgestream")));
    }

    [Fact]
    public async Task Install_with_create_user_adds_the_user_to_the_staging_roots_device_groups()
    {
        if (Environment.UserName != "root")
        {
            Assert.Skip("useradd/usermod need root, even against a staging root.");
        }
        // A staging root with its own account files, one device group present and two absent.
        var etc = Path.Combine(_root, "etc");
        Directory.CreateDirectory(etc);
        File.WriteAllText(Path.Combine(etc, "passwd"), "root:x:0:0:root:/root:/bin/bash\n");
        File.WriteAllText(Path.Combine(etc, "shadow"), "root:*:19000:0:99999:7:::\n");
        File.WriteAllText(Path.Combine(etc, "group"), "root:x:0:\ngpio:x:997:\n");
        File.WriteAllText(Path.Combine(etc, "gshadow"), "root:*::\ngpio:!::\n");

        var result = await RunAsync("--prefix", _root, "--from", _build, "--create-user");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains(File.ReadAllLines(Path.Combine(etc, "passwd")), l => l.StartsWith("edgestream:", StringComparison.Ordinal) && l.EndsWith(":/usr/sbin/nologin", StringComparison.Ordinal));
        Assert.Contains("gpio:x:997:edgestream", File.ReadAllLines(Path.Combine(etc, "group")));
        var unit = UnitFile.Parse(File.ReadAllText(Path.Combine(etc, "systemd/system/edgestream.service")));
        Assert.Equal("gpio", unit.Single("Service", "SupplementaryGroups"));
    }

    [Fact]
    public async Task Install_script_is_shellcheck_clean()
    {
        var shellcheck = ExternalProcess.Which("shellcheck")
            ?? throw new InvalidOperationException("shellcheck not found: install the Debian package 'shellcheck'.");

        var result = await ExternalProcess.RunAsync(shellcheck, [Script], TimeSpan.FromMinutes(2));

        Assert.True(result.ExitCode == 0, result.Output);
    }

    private async Task<ToolResult> InstallAsync()
    {
        var result = await RunAsync("--prefix", _root, "--from", _build);
        Assert.True(result.ExitCode == 0, result.Output);
        return result;
    }

    private static Task<ToolResult> RunAsync(params string[] args) => ExternalProcess.RunAsync("/bin/bash", [Script, .. args], TimeSpan.FromMinutes(2));
}
