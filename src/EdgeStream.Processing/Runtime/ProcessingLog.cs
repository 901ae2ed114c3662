using Microsoft.Extensions.Logging;

namespace EdgeStream.Processing.Runtime;

/// <summary>Source-generated logs of the processing runtime; event ids 8000-8099 are stable.</summary>
internal static partial class ProcessingLog
{
    [LoggerMessage(EventId = 8000, Level = LogLevel.Information, Message = "Processing started with {Rules} rule(s), state in {StateDirectory}")]
    public static partial void Started(ILogger logger, int rules, string stateDirectory);

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Rule {Rule} started from snapshot #{Sequence} at inputs {Inputs}; {Written} output id(s) written since it are suppressed on replay")]
    public static partial void RuleStarted(ILogger logger, string rule, long sequence, string inputs, int written);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Error, Message = "Rule {Rule} faulted (fault {Faults}); restarting from its last snapshot in {Delay}")]
    public static partial void RuleFaulted(ILogger logger, string rule, long faults, TimeSpan delay, Exception error);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Debug, Message = "Rule {Rule} faulted again; restarting in {Delay}")]
    public static partial void RuleFaultedAgain(ILogger logger, string rule, TimeSpan delay, Exception error);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Information, Message = "Rule {Rule} runs again after its fault")]
    public static partial void RuleRecovered(ILogger logger, string rule);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Warning, Message = "Rule {Rule}: snapshot {File} is not usable ({Reason}); falling back to an older one or to the beginning of the input")]
    public static partial void SnapshotDamaged(ILogger logger, string rule, string file, string reason);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Warning, Message = "Rule {Rule}: input {Topic}/{Partition} offsets {From}..{To} were removed (retention or damage) before the rule read them")]
    public static partial void InputSkipped(ILogger logger, string rule, string topic, int partition, long from, long to);

    [LoggerMessage(EventId = 8007, Level = LogLevel.Debug, Message = "Rule {Rule}: idle timeout closed {Keys} key(s), {Outputs} output(s)")]
    public static partial void KeysClosed(ILogger logger, string rule, int keys, int outputs);

    [LoggerMessage(EventId = 8008, Level = LogLevel.Critical, Message = "Rule {Rule} stopped: the log as a whole failed")]
    public static partial void RuleFailed(ILogger logger, string rule, Exception error);

    [LoggerMessage(EventId = 8009, Level = LogLevel.Information, Message = "Processing stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 8010, Level = LogLevel.Warning, Message = "Rule {Rule}: output {Id} for {Topic} is about {Bytes} bytes, more than the log can store in one batch; left out")]
    public static partial void OutputTooLarge(ILogger logger, string rule, string id, string topic, long bytes);

    [LoggerMessage(EventId = 8011, Level = LogLevel.Warning, Message = "Rule {Rule}: skipped {Records} record(s) whose group key is longer than the rule's MaxKeyBytes (logged at most once a minute)")]
    public static partial void KeyTooLong(ILogger logger, string rule, long records);
}
