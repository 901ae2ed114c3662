namespace EdgeStream.Host.Tests;

/// <summary>
/// The shipped (published) <c>edgestream</c> executable for the end-to-end tests: they start it as users do, so a
/// trimming or NativeAOT break fails them. Published once per suite run (see <see cref="ShippedBuild"/>).
/// </summary>
public sealed class ShippedHost : IAsyncLifetime
{
    /// <summary>Full path of the executable.</summary>
    public string Executable { get; private set; } = "";

    public async ValueTask InitializeAsync() => Executable = await ShippedBuild.GetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
