namespace EdgeStream.FirmwareSim;

/// <summary>Turns bad settings into one line on stderr and exit code 2 instead of a stack trace.</summary>
internal static class Cli
{
    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            await Console.Error.WriteLineAsync("edgestream-sim: " + e.Message);
            return 2;
        }
    }
}
