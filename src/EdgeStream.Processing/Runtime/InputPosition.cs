namespace EdgeStream.Processing.Runtime;

/// <summary>A rule's progress in one input partition: every record below <paramref name="NextOffset"/> has been fed to
/// its evaluator. Immutable.</summary>
internal readonly record struct InputPosition(string Topic, int Partition, long NextOffset);

/// <summary>Where the rule's scan for already-written output ids starts in one output partition. Immutable.</summary>
internal readonly record struct OutputMark(string Topic, int Partition, long FromOffset);
