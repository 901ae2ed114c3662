using System.Globalization;

namespace EdgeStream.FirmwareSim.Brokers;

/// <summary>
/// A real Mosquitto on a free 127.0.0.1 port with a generated config in a temp directory; always killed and the
/// directory removed on dispose. Adds <c>user root</c> when running as root, since Mosquitto otherwise drops to user mosquitto.
/// With persistence it can be stopped gracefully and restarted on the same port.
/// </summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    /// <summary>Where Debian's package installs the broker.</summary>
    public const string Executable = "/usr/sbin/mosquitto";

    private readonly TempDir _dir;
    private readonly string _config;
    private ExternalProcess? _process;

    private MosquittoBroker(TempDir dir, string config, int port)
    {
        _dir = dir;
        _config = config;
        Port = port;
    }

    /// <summary>The loopback port the broker listens on.</summary>
    public int Port { get; }

    /// <summary>The broker's directory (config, password and persistence files).</summary>
    public string Directory => _dir.Path;

    /// <summary>The running broker's process id.</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("mosquitto is not running");

    /// <summary>Whether <see cref="Executable"/> exists.</summary>
    public static bool IsInstalled => File.Exists(Executable);

    /// <summary>Writes the config and starts Mosquitto, returning once the port accepts connections.</summary>
    /// <param name="port">The port; a free one when null.</param>
    /// <param name="persistence"><c>persistence true</c> with the store in the broker's directory; Mosquitto's default (off) otherwise.</param>
    /// <param name="user">When set, only this user/password may connect (password_file) instead of anonymous clients.</param>
    /// <param name="maxQueuedMessages"><c>max_queued_messages</c> (0 = unlimited).</param>
    /// <param name="maxInflightMessages"><c>max_inflight_messages</c> (0 = unlimited); Mosquitto's default when null.</param>
    /// <param name="extraConfig">Further config lines (e.g. <c>acl_file</c>, <c>message_size_limit</c>).</param>
    public static async Task<MosquittoBroker> StartAsync(int? port = null, bool persistence = false, (string Name, string Password)? user = null, int maxQueuedMessages = 100000, int? maxInflightMessages = null, IEnumerable<string>? extraConfig = null)
    {
        var executable = ExternalProcess.Find("mosquitto");
        var p = port ?? Ports.Free();
        var dir = new TempDir("mosq");
        try
        {
            var lines = new List<string>
            {
                string.Create(CultureInfo.InvariantCulture, $"listener {p} 127.0.0.1"),
                $"allow_anonymous {(user is null ? "true" : "false")}",
                string.Create(CultureInfo.InvariantCulture, $"max_queued_messages {maxQueuedMessages}"),
            };
            if (maxInflightMessages is { } inflight)
            {
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"max_inflight_messages {inflight}"));
            }
            if (user is { } u)
            {
                var passwords = dir.Combine("passwords");
                await CreatePasswordFileAsync(passwords, u.Name, u.Password);
                lines.Add($"password_file {passwords}");
            }
            if (Environment.UserName == "root")
            {
                lines.Add("user root");
            }
            lines.AddRange(extraConfig ?? []);
            if (persistence)
            {
                lines.Add("persistence true");
                lines.Add($"persistence_location {dir.Path}/");
            }
            var config = dir.Combine("mosquitto.conf");
            await File.WriteAllLinesAsync(config, lines);
            var broker = new MosquittoBroker(dir, config, p);
            try
            {
                await broker.LaunchAsync(executable);
            }
            catch
            {
                await broker.DisposeAsync();
                throw;
            }
            return broker;
        }
        catch when (DisposeDirectory(dir))
        {
            throw;
        }
    }

    /// <summary>Graceful stop (SIGTERM): Mosquitto writes its persistence file, as a broker restart would.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.TerminateAsync();
            await _process.DisposeAsync();
            _process = null;
        }
    }

    /// <summary>Stops the broker gracefully (if running) and starts it again on the same port with the same config.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await LaunchAsync(ExternalProcess.Find("mosquitto"));
    }

    /// <summary>Kills the broker (if running) and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
        _dir.Dispose();
    }

    private async Task LaunchAsync(string executable)
    {
        var process = ExternalProcess.Start(executable, "-c", _config);
        _process = process;
        await Ports.WaitOpenAsync(Port, TimeSpan.FromSeconds(10), () => process.HasExited);
    }

    private static async Task CreatePasswordFileAsync(string file, string name, string password)
    {
        var result = await ExternalProcess.RunAsync(ExternalProcess.Find("mosquitto_passwd"), ["-c", "-b", file, name, password], TimeSpan.FromSeconds(20));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException("mosquitto_passwd failed: " + result.Stderr);
        }
    }

    /// <summary>Exception filter helper: deletes the directory of a broker that failed before it was constructed, then lets the exception pass.</summary>
    private static bool DisposeDirectory(TempDir dir)
    {
        dir.Dispose();
        return false;
    }
}
