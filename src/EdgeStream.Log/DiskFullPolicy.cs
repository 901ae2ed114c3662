namespace EdgeStream.Log;

/// <summary>What a topic does when the disk budget is exhausted.</summary>
public enum DiskFullPolicy
{
    /// <summary>Appends fail with <see cref="LogFullException"/>; nothing stored is touched.</summary>
    Reject,

    /// <summary>Delete this topic's oldest segments to make room (counted and logged), then append.</summary>
    DropOldest,
}
