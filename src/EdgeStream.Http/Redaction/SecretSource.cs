namespace EdgeStream.Http.Redaction;

/// <summary>Secret values registered by the host (<c>AddEdgeStreamSecrets</c>), read from its container once at start. Immutable.</summary>
internal sealed class SecretSource(Func<IServiceProvider, IEnumerable<string?>> secrets)
{
    public IEnumerable<string?> Get(IServiceProvider services) => secrets(services);
}
