using Microsoft.Extensions.Options;

namespace EdgeStream.Processing.Options;

/// <summary>The <c>Processing</c> section: the stream rules that read log topics and append derived topics.
/// Validated at start (<see cref="ProcessingOptionsValidation"/>); every error names its key, e.g.
/// <c>Processing:Rules:0:Window:Size: …</c>.</summary>
public sealed class ProcessingOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Processing";

    /// <summary>The rules, each one independent of the others.</summary>
    [ValidateEnumeratedItems]
    public List<RuleOptions> Rules { get; set; } = [];
}
