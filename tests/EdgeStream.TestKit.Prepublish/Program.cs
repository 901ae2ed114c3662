using System.Diagnostics;

// Publishes the shipped build for each runtime identifier given into ShippedBuild's cache, all at once (the tests need
// every one of them within the first minutes). Test processes asking for the same build meanwhile wait on the cache's lock.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: EdgeStream.TestKit.Prepublish <rid> [<rid> ...]   e.g. linux-x64 linux-arm64");
    return 2;
}
var results = await Task.WhenAll(args.Distinct(StringComparer.Ordinal).Select(PublishAsync));
return results.All(ok => ok) ? 0 : 1;

static async Task<bool> PublishAsync(string rid)
{
    var watch = Stopwatch.StartNew();
    try
    {
        var output = await ShippedBuild.PublishDirectoryAsync(rid);
        Console.WriteLine($"prepublish {rid}: {output} ({watch.Elapsed.TotalSeconds:F0} s)");
        return true;
    }
    catch (Exception e)
    {
        // The tests that need this build publish it again and fail with the same error in their own output.
        Console.Error.WriteLine($"prepublish {rid} failed after {watch.Elapsed.TotalSeconds:F0} s: {e.Message}");
        return false;
    }
}
