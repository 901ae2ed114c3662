namespace EdgeStream.Deploy.Tests;

/// <summary>deploy/systemd/edgestream.service parses cleanly and carries the settings the service relies on.</summary>
[Trait("Category", "Slow")]
public sealed class SystemdUnitTests
{
    private static readonly string UnitPath = Path.Combine(Repo.Deploy, "systemd", "edgestream.service");

    [Fact]
    public async Task Unit_file_passes_systemd_analyze_verify()
    {
        using var tmp = new TempDir("deploy");
        var result = await VerifyAsync(tmp, File.ReadAllText(UnitPath));

        Assert.True(result.ExitCode == 0, $"systemd-analyze verify failed ({result.ExitCode}):\n{result.Output}");
        Assert.DoesNotContain(UnitLines(result), _ => true);
    }

    // The check above is only worth something if verify notices mistakes; each case breaks the unit one way.
    [Theory]
    [InlineData("Type=notify", "Type=notifi")]
    [InlineData("Restart=on-failure", "Restart=on-failur")]
    [InlineData("ProtectSystem=strict", "ProtectSystem=strikt")]
    [InlineData("NoNewPrivileges=yes", "NoNewPrivilege=yes")]
    [InlineData("ExecStart=/opt/edgestream/edgestream", "ExecStart=opt/edgestream/edgestream")]
    public async Task Verify_reports_a_broken_unit(string good, string broken)
    {
        var text = File.ReadAllText(UnitPath);
        Assert.Contains(good, text, StringComparison.Ordinal);
        using var tmp = new TempDir("deploy");

        var result = await VerifyAsync(tmp, text.Replace(good, broken, StringComparison.Ordinal));

        Assert.True(result.ExitCode != 0 || UnitLines(result).Any(), $"verify accepted a unit with '{broken}':\n{result.Output}");
    }

    [Fact]
    public void Unit_declares_notify_restart_user_state_and_hardening()
    {
        var settings = UnitFile.Parse(File.ReadAllText(UnitPath));

        Assert.Equal("notify", settings.Single("Service", "Type"));
        Assert.Equal("on-failure", settings.Single("Service", "Restart"));
        Assert.Equal("/opt/edgestream/edgestream run --config /etc/edgestream/appsettings.json --data /var/lib/edgestream",
            settings.Single("Service", "ExecStart"));
        Assert.Equal("edgestream", settings.Single("Service", "User"));
        Assert.Equal(["gpio", "i2c", "spi"], settings.Single("Service", "SupplementaryGroups").Split(' '));
        Assert.Equal("edgestream", settings.Single("Service", "StateDirectory"));
        Assert.Equal("/var/lib/edgestream", settings.Single("Service", "ReadWritePaths"));
        Assert.Equal("strict", settings.Single("Service", "ProtectSystem"));
        foreach (var flag in new[] { "NoNewPrivileges", "PrivateTmp", "ProtectHome" })
        {
            Assert.Equal("yes", settings.Single("Service", flag));
        }
        Assert.Equal(["AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK"], settings.Single("Service", "RestrictAddressFamilies").Split(' '));
        Assert.EndsWith("s", settings.Single("Service", "TimeoutStopSec"), StringComparison.Ordinal);
        Assert.Equal("multi-user.target", settings.Single("Install", "WantedBy"));
    }

    [Fact]
    public void Unit_keeps_device_nodes_reachable_and_arms_the_watchdog_the_host_feeds()
    {
        var settings = UnitFile.Parse(File.ReadAllText(UnitPath));

        // GPIO/I2C/SPI nodes are reached through group permissions; these would hide or block them.
        Assert.Empty(settings.All("Service", "PrivateDevices"));
        Assert.Empty(settings.All("Service", "DevicePolicy"));
        // MemoryDenyWriteExecute breaks the JIT.
        Assert.Empty(settings.All("Service", "MemoryDenyWriteExecute"));
        // The host's SystemdWatchdog pings every WatchdogSec/2 (tested in EdgeStream.Host.Tests).
        Assert.Equal("30s", settings.Single("Service", "WatchdogSec"));
    }

    /// <summary>Runs verify on a copy whose ExecStart names a real executable, since /opt/edgestream is not installed here.</summary>
    private static async Task<ToolResult> VerifyAsync(TempDir tmp, string unitText)
    {
        var analyze = ExternalProcess.Which("systemd-analyze")
            ?? throw new InvalidOperationException("systemd-analyze not found: install the Debian package 'systemd'.");
        var exe = tmp.Combine("opt", "edgestream", "edgestream");
        Directory.CreateDirectory(Path.GetDirectoryName(exe)!);
        File.WriteAllText(exe, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(exe, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var unit = tmp.Combine("edgestream.service");
        File.WriteAllText(unit, unitText.Replace("ExecStart=/opt/edgestream/", "ExecStart=" + tmp.Combine("opt", "edgestream") + "/", StringComparison.Ordinal));
        return await ExternalProcess.RunAsync(analyze, ["verify", "--man=no", unit], TimeSpan.FromMinutes(2));
    }

    /// <summary>verify also comments on the host's own units; only lines about ours count.</summary>
    private static IEnumerable<string> UnitLines(ToolResult result) =>
        result.Output.Split('\n').Where(l => l.Contains("edgestream", StringComparison.Ordinal));
}
