using EdgeStream.Log;
using EdgeStream.Validation;
using Microsoft.Extensions.Options;

namespace EdgeStream.Ingest.Sensors.Options;

/// <summary>
/// Checks the whole <c>Sensors</c> list at start and names each bad key by its configuration path
/// (<c>Sensors:3:Address</c>), so a typo stops the service with a message that points at the line to fix: the data
/// annotations of each entry (through the generated <see cref="SensorOptionsAnnotations"/>), then the rules that depend
/// on the sensor's type or on other entries. Reports every failure at once. Stateless.
/// </summary>
internal sealed class SensorOptionsValidator : IValidateOptions<SensorIngestOptions>
{
    private static readonly HashSet<string> AdcInputs = ["AIN0", "AIN1", "AIN2", "AIN3", "AIN0_AIN1", "AIN0_AIN3", "AIN1_AIN3", "AIN2_AIN3"];
    private static readonly HashSet<string> AdcRanges = ["FS6144", "FS4096", "FS2048", "FS1024", "FS0512", "FS0256"];

    public ValidateOptionsResult Validate(string? name, SensorIngestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = OptionsKeys.Map(new SensorOptionsAnnotations().Validate(name, options), nameof(SensorIngestOptions), "").ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < options.Sensors.Count; i++)
        {
            Check(options.Sensors[i], $"Sensors:{i}", names, errors);
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check(SensorOptions s, string path, HashSet<string> names, List<string> errors)
    {
        void Fail(string key, string message) => errors.Add($"{path}:{key}: {message}");

        if (!string.IsNullOrWhiteSpace(s.Name) && !names.Add(s.Name))
        {
            Fail("Name", $"'{s.Name}' is used by another sensor.");
        }
        string type = s.Kind;
        if (!SensorTypes.All.Contains(type))
        {
            Fail("Type", $"'{s.Type}' is not one of {string.Join(", ", SensorTypes.All)}.");
            return;
        }
        if (!string.Equals(s.Driver, "real", StringComparison.OrdinalIgnoreCase) && !s.Simulated)
        {
            Fail("Driver", $"'{s.Driver}' is neither 'real' nor 'simulated'.");
        }
        if (!string.IsNullOrEmpty(s.Topic) && !TopicName.IsValidForIngest(s.Topic, out var topicWhy))
        {
            Fail("Topic", $"'{s.Topic}': {topicWhy}.");
        }
        if (s.PollInterval <= TimeSpan.Zero)
        {
            Fail("PollInterval", "must be positive."); // not a [Range]: RangeAttribute(typeof(TimeSpan)) needs reflection
        }
        if (s.MaxSilence < s.PollInterval)
        {
            Fail("MaxSilence", $"must be at least the poll interval ({s.PollInterval}).");
        }
        foreach (var (quantity, band) in s.Deadband)
        {
            if (!(band >= 0))
            {
                Fail($"Deadband:{quantity}", "must be zero or positive.");
            }
        }
        if (SensorTypes.IsI2c(type))
        {
            int? address = SensorTypes.ParseAddress(s.Address, type);
            if (address is not (>= 0x03 and <= 0x77))
            {
                Fail("Address", $"'{s.Address}' is not a 7-bit I2C address (0x03…0x77).");
            }
            if (s.Bus < 0)
            {
                Fail("Bus", "must be an I2C bus number (0 or more).");
            }
        }
        if (SensorTypes.IsGpio(type))
        {
            if (s.Pin is not (>= 0 and < 64))
            {
                Fail("Pin", "is required for GPIO sources (0…63).");
            }
            if (s.Pull is not ("up" or "down" or "none"))
            {
                Fail("Pull", $"'{s.Pull}' is not up, down or none.");
            }
            if (s.Debounce < TimeSpan.Zero)
            {
                Fail("Debounce", "must not be negative.");
            }
        }
        if (type == SensorTypes.Ds18b20 && (s.DeviceId is null || !s.DeviceId.StartsWith("28-", StringComparison.Ordinal)))
        {
            Fail("DeviceId", $"'{s.DeviceId}' is not a DS18B20 id (28-xxxxxxxxxxxx).");
        }
        if (type == SensorTypes.Ads1115)
        {
            if (s.Channels.Count == 0)
            {
                Fail("Channels", "lists no channel.");
            }
            for (int c = 0; c < s.Channels.Count; c++)
            {
                var ch = s.Channels[c];
                if (string.IsNullOrWhiteSpace(ch.Name))
                {
                    Fail($"Channels:{c}:Name", "is required.");
                }
                if (!AdcInputs.Contains(ch.Input))
                {
                    Fail($"Channels:{c}:Input", $"'{ch.Input}' is not one of {string.Join(", ", AdcInputs)}.");
                }
                if (!AdcRanges.Contains(ch.Range))
                {
                    Fail($"Channels:{c}:Range", $"'{ch.Range}' is not one of {string.Join(", ", AdcRanges)}.");
                }
            }
        }
    }
}

/// <summary>The data annotations of every <c>Sensors</c> entry (generated; its failures name C# members, see <see cref="OptionsKeys"/>).</summary>
[OptionsValidator]
internal sealed partial class SensorOptionsAnnotations : IValidateOptions<SensorIngestOptions>;
