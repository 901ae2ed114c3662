using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeStream.Validation;

/// <summary>
/// Finds configuration keys under a stage's section that none of its settings binds (a typo such as
/// <c>Mqtt:Limits:MaxPacketByte</c>), so that the host names them at start instead of running silently on defaults.
/// Each stage registers what it found with <see cref="Register"/>; the host reads every stage's list under
/// <see cref="ServiceKey"/>. Compiled into each project that binds options (linked from src/Shared). Stateless.
/// </summary>
internal static class UnknownSettings
{
    /// <summary>The service key under which each stage registers its <c>IReadOnlyList&lt;string&gt;</c> of unknown keys.</summary>
    public const string ServiceKey = "edgestream.unknown-settings";

    private const string BinderPrefix = "'ErrorOnUnknownConfiguration' was set";

    /// <summary>What one strict bind refused: the options type whose section had the keys, and the keys' names.</summary>
    public readonly record struct Refusal(string Type, IReadOnlySet<string> Names);

    /// <summary>
    /// Runs <paramref name="bindStrictly"/> (a <c>Get&lt;T&gt;</c> with <see cref="Strict"/>) and returns what the binder
    /// refused, or null when every key bound. The binder stops at the first object holding unknown keys, so this names
    /// that object's keys only. Values it cannot convert are left to validation.
    /// </summary>
    public static Refusal? Probe(Action bindStrictly)
    {
        try
        {
            bindStrictly();
            return null;
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith(BinderPrefix, StringComparison.Ordinal))
        {
            // "… the following properties were not found on the instance of {Type}: 'Key1', 'Key2'"
            const string Marker = "on the instance of ";
            var start = e.Message.IndexOf(Marker, StringComparison.Ordinal) + Marker.Length;
            var colon = e.Message.IndexOf(": ", start, StringComparison.Ordinal);
            var names = e.Message[(colon + 2)..].Split(", ").Select(n => n.Trim('\'')).ToHashSet(StringComparer.OrdinalIgnoreCase);
            return new Refusal(e.Message[start..colon], names);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Binder options that make the binder throw on a key the options type does not have.</summary>
    public static void Strict(BinderOptions options) => options.ErrorOnUnknownConfiguration = true;

    /// <summary>
    /// Registers the full paths under <paramref name="section"/> of the keys <paramref name="refusal"/> names (nothing
    /// when null). The binder gives names without their path; a name found at several places is reported at each.
    /// </summary>
    public static void Register(IServiceCollection services, IConfiguration section, Refusal? refusal)
    {
        if (refusal is not { Names: var names })
        {
            return;
        }
        var paths = new List<string>();
        var pending = new Stack<IConfigurationSection>(section.GetChildren());
        while (pending.TryPop(out var child))
        {
            if (names.Contains(child.Key))
            {
                paths.Add(child.Path);
            }
            foreach (var grandchild in child.GetChildren())
            {
                pending.Push(grandchild);
            }
        }
        paths.Sort(StringComparer.Ordinal);
        services.AddKeyedSingleton<IReadOnlyList<string>>(ServiceKey, paths);
    }
}
