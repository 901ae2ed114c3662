using System.Runtime;

namespace EdgeStream.Host.Run;

/// <summary>
/// Gives back the memory that start-up used and no longer needs. Building the host allocates ~14 MB in the NativeAOT
/// build (most of it the runtime's type loader resolving generic virtual methods for dependency injection and options),
/// of which ~5 MB stays live; with the 4 MB gen0 budget a few GCs run by then, but the regions they freed stay committed
/// and resident until the GC needs them again, which an idle service never does (docs/performance.md, "Memory").
/// </summary>
internal static class StartupMemory
{
    /// <summary>
    /// One blocking, compacting, full collection that also decommits the free regions. Called once, after every stage has
    /// started; it pauses the process for a few milliseconds, before any record can be waiting on it.
    /// </summary>
    public static void Release()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
