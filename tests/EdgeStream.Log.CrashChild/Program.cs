using System.Text;
using EdgeStream.Log;

// Appends under the `always` commit policy from several concurrent appenders and prints "partition offset length value"
// (plus the value's length, so a line cut by the kill is recognisable) for each append only after it returned (i.e. was acknowledged durable), until it is killed.
var data = args[0];
var prefix = args[1];
await using var store = await LogStore.OpenAsync(new LogOptions
{
    DataDirectory = data,
    CommitPolicy = "always",
    MinFreeBytes = 0,
    MinFreePercent = 0,
    Defaults = new TopicSettings { Partitions = 2, SegmentBytes = 16 * 1024 },
});
var output = Console.Out;
var gate = new Lock();
await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
{
    for (var i = 0; ; i++)
    {
        var value = $"{prefix}-w{worker}-{i}-{new string((char)('a' + (i % 26)), i % 300)}";
        var result = await store.AppendAsync("crash", new LogRecord(Encoding.UTF8.GetBytes(value), Encoding.UTF8.GetBytes($"w{worker}")));
        lock (gate)
        {
            output.Write($"{result.Partition} {result.BaseOffset} {value.Length} {value}\n");
            output.Flush();
        }
    }
})));
