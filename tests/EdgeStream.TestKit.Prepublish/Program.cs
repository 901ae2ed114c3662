using System.Diagnostics;

// Publishes the shipped build for each runtime identifier given into ShippedBuild's cache (one after the other: the
// first is the one most tests wait for). Test processes asking for the same build meanwhile wait on the cache's lock.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: EdgeStream.TestKit.Prepublish <rid> [<rid> ...]   e.g. linux-x64 linux-arm64");
    return 2;
}
foreach (var rid in args)
{
    var watch = Stopwatch.StartNew();
    try
    {
        var output = await ShippedBuild.PublishDirectoryAsync(rid);
        Console.WriteLine($"prepublish {rid}: {output} ({watch.Elapsed.TotalSeconds:F0} s)");
    }
    catch (Exception e)
    {
        // The tests that need this build publish it again and fail with the same error in their own output.
        Console.Error.WriteLine($"prepublish {rid} failed after {watch.Elapsed.TotalSeconds:F0} s: {e.Message}");
        return 1;
    }
}
return 0;
