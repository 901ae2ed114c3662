using System.Runtime.CompilerServices;

namespace EdgeStream.Log.Format;

/// <summary>
/// UTF-8 bytes of record header names, kept per string instance: nearly every record of a source carries the same few
/// literal names, and encoding each of them twice per record showed in the profile of an MQTT append. Sixteen slots,
/// each filled once and never replaced, so names built per message (MQTT user properties) can neither thrash nor grow
/// it; a name without a slot is encoded as before. Thread-safe.
/// </summary>
internal static class HeaderNames
{
    private static readonly Entry?[] Slots = new Entry?[16];

    /// <summary>The name's UTF-8 bytes if it has a slot (taking a free one), else false.</summary>
    public static bool TryGetUtf8(string name, out byte[] utf8)
    {
        ref var slot = ref Slots[RuntimeHelpers.GetHashCode(name) & (Slots.Length - 1)];
        var entry = Volatile.Read(ref slot);
        if (entry is null)
        {
            Interlocked.CompareExchange(ref slot, new Entry(name, System.Text.Encoding.UTF8.GetBytes(name)), null);
            entry = Volatile.Read(ref slot)!;
        }
        if (ReferenceEquals(entry.Name, name))
        {
            utf8 = entry.Bytes;
            return true;
        }
        utf8 = [];
        return false;
    }

    private sealed record Entry(string Name, byte[] Bytes);
}
