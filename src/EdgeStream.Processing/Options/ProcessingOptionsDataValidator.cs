using Microsoft.Extensions.Options;

namespace EdgeStream.Processing.Options;

/// <summary>Source-generated data-annotation checks of <see cref="ProcessingOptions"/> (required fields, ranges);
/// <see cref="ProcessingOptionsValidation"/> runs it and renames its member paths to configuration keys.</summary>
[OptionsValidator]
internal sealed partial class ProcessingOptionsDataValidator : IValidateOptions<ProcessingOptions>
{
}
