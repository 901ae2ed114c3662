using System.Globalization;
using EdgeStream.Log;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EdgeStream.Http.Pull;

/// <summary>Parses and checks route and query values of the pull API; failures are 400/404 problems naming the value. Stateless.</summary>
internal static class PullArguments
{
    /// <summary>Resolves <c>{topic}/{partition}</c> to an existing partition, or the problem to answer.</summary>
    public static ProblemHttpResult? Partition(LogStore store, string topic, string partitionText, out PartitionInfo partition)
    {
        partition = null!;
        if (!TopicName.IsValid(topic, out var reason))
        {
            return Problems.BadRequest($"Invalid topic name: {reason}.");
        }
        if (!int.TryParse(partitionText, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return Problems.BadRequest($"Partition '{partitionText}' is not a non-negative integer.");
        }
        if (store.GetTopic(topic) is not { } info)
        {
            return Problems.NotFound($"Unknown topic '{topic}'.");
        }
        if (number >= info.Partitions.Count)
        {
            return Problems.NotFound($"Unknown partition {topic}/{number} (the topic has {info.Partitions.Count}).");
        }
        partition = info.Partitions[number];
        return null;
    }

    /// <summary>Query value <paramref name="name"/> as a long in [<paramref name="min"/>, <paramref name="max"/>], or <paramref name="fallback"/> when absent.</summary>
    public static ProblemHttpResult? Long(HttpRequest request, string name, long fallback, long min, long max, out long value)
    {
        value = fallback;
        var text = request.Query[name].ToString();
        if (text.Length == 0)
        {
            return null;
        }
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) || value < min || value > max)
        {
            return Problems.BadRequest($"Query parameter '{name}' must be an integer between {min} and {max} (was '{text}').");
        }
        return null;
    }
}
