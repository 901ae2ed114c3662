namespace EdgeStream.Forwarding;

/// <summary>
/// Marks a sink assembly's <see cref="ISinkFactory"/> so that <c>AddForwarding</c> registers it when the assembly is
/// deployed next to the application (the host references the sink projects; the engine does not).
/// </summary>
/// <param name="factoryType">A public type implementing <see cref="ISinkFactory"/> with a parameterless constructor.</param>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class SinkFactoryAttribute(Type factoryType) : Attribute
{
    /// <summary>The factory type.</summary>
    public Type FactoryType { get; } = factoryType;
}
