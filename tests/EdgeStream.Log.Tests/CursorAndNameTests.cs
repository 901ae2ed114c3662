namespace EdgeStream.Log.Tests;

public class CursorAndNameTests
{
    [Fact]
    public async Task Committed_cursors_survive_a_reopen()
    {
        using var dir = new TempDir();
        await using (var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path, defaults: s => s.Partitions = 2)))
        {
            store.EnsureTopic("t");
            await store.CommitCursorAsync("kafka", "t", 1, 42);
            await store.CommitCursorAsync("kafka", "t", 1, 43);
            await store.CommitCursorAsync("nats", "t", 0, 7);
        }
        await using var reopened = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
        Assert.Equal(43, reopened.GetCursor("kafka", "t", 1));
        Assert.Equal(7, reopened.GetCursor("nats", "t", 0));
        Assert.Null(reopened.GetCursor("http", "t", 0));
        Assert.Equal(2, reopened.GetCursors().Count);
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("../etc")]
    [InlineData("a/b")]
    [InlineData("/abs")]
    [InlineData("a\\b")]
    [InlineData("nul\0byte")]
    [InlineData("CON")]
    [InlineData("com1.log")]
    [InlineData(".hidden")]
    [InlineData("")]
    [InlineData("sensors/+/x")]
    public async Task Hostile_topic_names_get_a_clear_error_and_create_nothing(string name)
    {
        using var dir = new TempDir();
        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.AppendAsync(name, LogTestKit.Text("x")).AsTask());
        Assert.StartsWith("Invalid topic name", error.Message);
        Assert.Empty(Directory.GetDirectories(Path.Combine(dir.Path, "topics")));
        Assert.Equal(["cursors", "lock", "topics"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task New_topics_beyond_MaxTopics_are_refused_while_existing_and_dead_letter_topics_keep_working()
    {
        using var dir = new TempDir();
        var options = LogTestKit.Options(dir.Path);
        options.MaxTopics = 3;
        await using (var store = await LogStore.OpenAsync(options))
        {
            foreach (var topic in (string[])["a", "b", "c"])
            {
                await store.AppendAsync(topic, LogTestKit.Text("x"));
            }
            var error = await Assert.ThrowsAsync<TopicLimitException>(() => store.AppendAsync("d", LogTestKit.Text("x")).AsTask());
            Assert.Contains("Log:MaxTopics (3)", error.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(dir.Path, "topics", "d")));
            await store.AppendAsync("a", LogTestKit.Text("y"));
            await store.AppendAsync("a.dlq", LogTestKit.Text("refused upstream"));
        }

        // Lowered later: what is on disk still opens whole.
        options.MaxTopics = 1;
        await using var reopened = await LogStore.OpenAsync(options);
        Assert.Equal(["a", "a.dlq", "b", "c"], reopened.GetTopics().Select(t => t.Name).Order());
        Assert.Equal(2, (await LogTestKit.ReadAllAsync(reopened, "a", 0)).Count);
    }

    [Fact]
    public async Task A_second_open_of_a_data_directory_in_use_is_refused_with_a_clear_error()
    {
        using var dir = new TempDir();
        await using (var first = await LogStore.OpenAsync(LogTestKit.Options(dir.Path)))
        {
            var error = await Assert.ThrowsAsync<LogException>(() => LogStore.OpenAsync(LogTestKit.Options(dir.Path)));
            Assert.Contains("in use by another EdgeStream process", error.Message);
        }
        await using var again = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
    }

    [Fact]
    public void Names_over_200_characters_are_refused_and_ordinary_ones_accepted()
    {
        Assert.False(TopicName.IsValid(new string('a', 201), out var reason));
        Assert.Contains("200", reason);
        Assert.True(TopicName.IsValid("sensors.telemetry-v2_raw", out _));
    }

    [Fact]
    public async Task Hostile_cursor_names_are_refused()
    {
        using var dir = new TempDir();
        await using var store = await LogStore.OpenAsync(LogTestKit.Options(dir.Path));
        store.EnsureTopic("t");
        await Assert.ThrowsAsync<ArgumentException>(() => store.CommitCursorAsync("../../x", "t", 0, 1));
    }

    [Theory]
    [InlineData("always", CommitMode.Always)]
    [InlineData("group", CommitMode.Group)]
    [InlineData("interval:5ms", CommitMode.Threshold)]
    [InlineData("interval:5ms,bytes:1048576", CommitMode.Threshold)]
    [InlineData("bytes:4096", CommitMode.Threshold)]
    public void Commit_policies_parse(string text, CommitMode mode) => Assert.Equal(mode, CommitPolicy.Parse(text).Mode);

    [Theory]
    [InlineData("sometimes")]
    [InlineData("interval:-5ms")]
    [InlineData("bytes:lots")]
    public void Bad_commit_policies_are_refused_with_the_key_named(string text)
    {
        var options = new LogOptions { CommitPolicy = text };
        var error = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.StartsWith("Log:CommitPolicy", error.Message);
    }
}
