namespace EdgeStream.FirmwareSim.Brokers;

/// <summary>How a command run by <see cref="ExternalProcess.RunAsync"/> ended and what it printed.</summary>
/// <param name="ExitCode">Its exit code.</param>
/// <param name="Stdout">Everything it wrote to standard output.</param>
/// <param name="Stderr">Everything it wrote to standard error.</param>
public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Standard output followed by standard error, for assertion messages.</summary>
    public string Output => Stdout + Stderr;
}
