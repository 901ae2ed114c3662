using EdgeStream.Processing.Engine;
using EdgeStream.Processing.Options;

namespace EdgeStream.Processing.Tests.Engine;

public sealed class OptionsValidationTests
{
    private static RuleOptions Valid() => RuleHarness.Tumbling(TimeSpan.FromMinutes(1), new() { ["n"] = "count()" });

    [Fact]
    public void A_valid_configuration_passes()
    {
        var result = new ProcessingOptionsValidation().Validate(null, new ProcessingOptions { Rules = [Valid()] });
        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Every_error_is_reported_at_once_and_names_its_key()
    {
        var bad = Valid();
        bad.Window!.Size = TimeSpan.Zero;
        bad.Where = "has(/a) &&";
        bad.To.Topic = "../etc";
        bad.MaxKeys = 0;
        bad.Aggregate["p"] = "quantile(/v, 2)";
        bad.Aggregate["count"] = "count()";
        bad.Time.Late = "maybe";
        bad.GroupBy.Add("sensor");
        var second = Valid();
        second.Window = new WindowOptions { Type = "session", Gap = TimeSpan.FromSeconds(1) };
        second.Id = "s";
        var duplicate = Valid();
        var intoDeadLetters = Valid();
        intoDeadLetters.Id = "dlq";
        intoDeadLetters.To.Topic = "out.dlq";
        var result = new ProcessingOptionsValidation().Validate(null, new ProcessingOptions { Rules = [bad, second, duplicate, intoDeadLetters] });
        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        string[] keys =
        [
            "Processing:Rules:0:Window:Size: ",
            "Processing:Rules:0:Where: ",
            "Processing:Rules:0:To:Topic: ",
            "Processing:Rules:0:MaxKeys: ",
            "Processing:Rules:0:Aggregate:p: ",
            "Processing:Rules:0:Aggregate:count: ",
            "Processing:Rules:0:Time:Late: ",
            "Processing:Rules:0:GroupBy:1: ",
            "Processing:Rules:1:Window:MaxDuration: ",
            "Processing:Rules:2:Id: ",
            "Processing:Rules:3:To:Topic: 'out.dlq': topic name ends in .dlq",
        ];
        foreach (var key in keys)
        {
            Assert.True(failures.Exists(f => f.StartsWith(key, StringComparison.Ordinal)), $"no '{key}' in:\n{string.Join('\n', failures)}");
        }
        Assert.All(failures, f => Assert.StartsWith("Processing:Rules:", f, StringComparison.Ordinal));
    }

    [Fact]
    public void Rules_may_chain_but_a_rule_reading_its_own_output_or_rules_feeding_each_other_are_refused()
    {
        static RuleOptions Rule(string id, string from, string to, bool enabled = true)
        {
            var r = Valid();
            r.Id = id;
            r.From = new FromOptions { Topic = from };
            r.To = new ToOptions { Topic = to };
            r.Enabled = enabled;
            return r;
        }
        var validation = new ProcessingOptionsValidation();

        var chain = validation.Validate(null, new ProcessingOptions { Rules = [Rule("a", "in", "mid"), Rule("b", "mid", "out")] });
        var self = validation.Validate(null, new ProcessingOptions { Rules = [Rule("echo", "in", "in")] });
        var cycle = validation.Validate(null, new ProcessingOptions { Rules = [Rule("a", "in", "out"), Rule("x", "y", "z"), Rule("b", "z", "y")] });
        var disabled = validation.Validate(null, new ProcessingOptions { Rules = [Rule("x", "y", "z"), Rule("b", "z", "y", enabled: false)] });

        Assert.True(chain.Succeeded, chain.FailureMessage);
        Assert.Equal(["Processing:Rules:0: the rule writes 'in', which it also reads (a rule cannot read its own output)."], self.Failures);
        Assert.Equal(["Processing:Rules:1: rules 'x' -> 'b' -> 'x' feed each other through their topics (rules may chain, but not in a cycle)."], cycle.Failures);
        Assert.True(disabled.Succeeded, disabled.FailureMessage);
    }

    [Fact]
    public void The_factory_refuses_an_invalid_rule_naming_the_key()
    {
        var bad = Valid();
        bad.Window!.Type = "weekly";
        var e = Assert.Throws<ArgumentException>(() => RuleEvaluatorFactory.Create(bad));
        Assert.Contains("Processing:Rules:r:Window:Type", e.Message, StringComparison.Ordinal);
    }
}
