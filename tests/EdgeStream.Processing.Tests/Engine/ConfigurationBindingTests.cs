using System.Text;
using EdgeStream.Processing.Engine;
using EdgeStream.Processing.Options;
using Microsoft.Extensions.Configuration;
using static EdgeStream.Processing.Tests.Engine.RuleHarness;

namespace EdgeStream.Processing.Tests.Engine;

public sealed class ConfigurationBindingTests
{
    private const string IssueExample = """
        { "Processing": { "Rules": [
          { "Id": "air-1m", "From": { "Topic": "sensors" },
            "Where": "has(/quantities/temperature)",
            "Time": { "Field": "/ts", "AllowedLateness": "00:00:30", "IdleTimeout": "00:02:00", "Late": "revise" },
            "Window": { "Type": "tumbling", "Size": "00:01:00" },
            "GroupBy": [ "/sensor", "/tags/site" ],
            "Aggregate": { "t_avg": "mean(/quantities/temperature/value)", "t_p95": "quantile(/quantities/temperature/value, 0.95)", "n": "count()" },
            "To": { "Topic": "agg.air.1m" } },
          { "Id": "hot", "From": { "Topics": [ "sensors" ] }, "GroupBy": [ "/sensor" ], "Time": { "Field": "/ts" },
            "Deadband": { "Fields": { "/quantities/temperature/value": 0.5 }, "Heartbeat": "00:05:00" },
            "Map": { "t_f": "/quantities/temperature/value * 9 / 5 + 32" },
            "To": { "Topic": "temp.f" },
            "Alert": { "Value": "/quantities/temperature/value", "Raise": 30, "Clear": 27, "For": "00:00:20", "Topic": "alerts" } }
        ] } }
        """;

    [Fact]
    public void The_issue_example_binds_from_json_configuration_validates_and_runs_over_sensor_records()
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(IssueExample))).Build();
        var options = new ProcessingOptions();
        configuration.GetSection(ProcessingOptions.SectionName).Bind(options);
        var result = new ProcessingOptionsValidation().Validate(null, options);
        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal(0.5, options.Rules[1].Deadband!.Fields["/quantities/temperature/value"]);

        var air = RuleEvaluatorFactory.Create(options.Rules[0]);
        var hot = RuleEvaluatorFactory.Create(options.Rules[1]);
        var outputs = new List<RuleOutput>();
        for (int i = 0; i < 130; i++)
        {
            string json = $"{{\"sensor\":\"greenhouse-air\",\"type\":\"bme280\",\"ts\":\"{T0.AddSeconds(i):yyyy-MM-ddTHH:mm:ss.fffZ}\",\"quantities\":{{\"temperature\":{{\"value\":{20 + (i / 10)},\"unit\":\"°C\"}}}},\"tags\":{{\"site\":\"north\"}},\"status\":\"ok\"}}";
            var input = Input(json);
            air.OnRecord(input, TimeSpan.Zero, outputs);
            hot.OnRecord(input, TimeSpan.Zero, outputs);
        }
        var window = Value(Assert.Single(outputs, o => o.Topic == "agg.air.1m"));
        Assert.Equal("greenhouse-air|north", window.GetProperty("key").GetString());
        Assert.Equal("north", window.GetProperty("site").GetString());
        Assert.Equal(60, window.GetProperty("n").GetInt64());
        // 20…25, ten seconds each.
        Assert.Equal(22.5, window.GetProperty("t_avg").GetDouble(), 9);
        Assert.Equal(25, window.GetProperty("t_p95").GetDouble(), 0.25);
        // The deadband passes each whole-degree step once: 13 steps from 20 to 32.
        Assert.Equal(13, outputs.Count(o => o.Topic == "temp.f"));
        var alert = Value(Assert.Single(outputs, o => o.Topic == "alerts"));
        Assert.Equal("raised", alert.GetProperty("state").GetString());
    }
}
