using System.Xml.Linq;

namespace EdgeStream.Deploy.Tests;

/// <summary>
/// Holds the dependency rule of the repository (dependencies point inward; nothing shipped references simulators,
/// tests or benches) by reading the <c>ProjectReference</c> items of every project file.
/// </summary>
public sealed class LayeringTests
{
    /// <summary>
    /// Every project under src/ and the projects of ours it may reference (directly). A new src project must be
    /// added here, which is the moment to decide where it sits.
    /// </summary>
    private static readonly Dictionary<string, string[]> AllowedInSrc = new(StringComparer.Ordinal)
    {
        ["EdgeStream.Log"] = [],
        ["EdgeStream.Ingest.Mqtt"] = ["EdgeStream.Log"],
        ["EdgeStream.Ingest.Sensors"] = ["EdgeStream.Log"],
        ["EdgeStream.Forwarding"] = ["EdgeStream.Log"],
        // Rules read log topics and append derived ones: a client of the log like ingest and forwarding.
        ["EdgeStream.Processing"] = ["EdgeStream.Log"],
        ["EdgeStream.Sinks.Kafka"] = ["EdgeStream.Forwarding", "EdgeStream.Log"],
        ["EdgeStream.Sinks.Mqtt"] = ["EdgeStream.Forwarding", "EdgeStream.Log"],
        ["EdgeStream.Sinks.Nats"] = ["EdgeStream.Forwarding", "EdgeStream.Log"],
        ["EdgeStream.Sinks.Http"] = ["EdgeStream.Forwarding", "EdgeStream.Log"],
        // The admin HTTP serves the log (pull API, ingest, status); stages report into it through contributors.
        ["EdgeStream.Http"] = ["EdgeStream.Log"],
        // Simulation: chip register maps and the MQTT device fleet know nothing of the product; the adapter that
        // lets sensor ingest read the simulated chips knows the sensor hardware interface.
        ["EdgeStream.FirmwareSim.Chips"] = [],
        ["EdgeStream.FirmwareSim.Fleet"] = [],
        ["EdgeStream.Simulation.Sensors"] = ["EdgeStream.Ingest.Sensors", "EdgeStream.FirmwareSim.Chips", "EdgeStream.Log"],
        // Only the executable wires everything together.
        ["EdgeStream.Host"] =
        [
            "EdgeStream.Log", "EdgeStream.Ingest.Mqtt", "EdgeStream.Ingest.Sensors", "EdgeStream.Forwarding", "EdgeStream.Processing",
            "EdgeStream.Sinks.Kafka", "EdgeStream.Sinks.Mqtt", "EdgeStream.Sinks.Nats", "EdgeStream.Sinks.Http",
            "EdgeStream.Http", "EdgeStream.FirmwareSim.Chips", "EdgeStream.FirmwareSim.Fleet", "EdgeStream.Simulation.Sensors",
        ],
    };

    private static readonly string[] ProductProjects = [.. AllowedInSrc.Keys];

    [Fact]
    public void Every_src_project_references_only_the_projects_its_layer_allows()
    {
        var violations = new List<string>();
        foreach (var project in Projects("src"))
        {
            if (!AllowedInSrc.TryGetValue(project.Name, out var allowed))
            {
                violations.Add($"{project.Name}: not in the layering table of {nameof(LayeringTests)}");
                continue;
            }
            violations.AddRange(project.References
                .Where(r => !allowed.Contains(r.Name, StringComparer.Ordinal))
                .Select(r => $"{project.Name} -> {r.Name}"));
        }
        Assert.Empty(violations);
    }

    [Fact]
    public void Nothing_in_src_references_firmware_sim_tests_or_bench()
    {
        var outside = Projects("src")
            .SelectMany(p => p.References.Where(r => !r.RelativePath.StartsWith("src/", StringComparison.Ordinal)).Select(r => $"{p.Name} -> {r.RelativePath}"))
            .ToList();
        Assert.Empty(outside);
    }

    [Fact]
    public void Benches_and_simulator_tools_do_not_reference_tests_and_tools_do_not_reference_benches()
    {
        static bool Wrong(ProjectFile p, Reference r)
            => r.RelativePath.StartsWith("tests/", StringComparison.Ordinal)
               || (p.RelativePath.StartsWith("firmware-sim/", StringComparison.Ordinal) && r.RelativePath.StartsWith("bench/", StringComparison.Ordinal));

        var wrong = Projects("bench").Concat(Projects("firmware-sim"))
            .SelectMany(p => p.References.Where(r => Wrong(p, r)).Select(r => $"{p.Name} -> {r.RelativePath}"))
            .ToList();
        Assert.Empty(wrong);
    }

    [Fact]
    public void The_broker_launchers_shared_by_tests_and_benches_reference_no_project_of_ours()
    {
        // Tests and benches both start real brokers through it; product code behind it would let benches reach tests' helpers again.
        var brokers = Assert.Single(Projects("firmware-sim"), p => p.Name == "EdgeStream.FirmwareSim.Brokers");
        Assert.Empty(brokers.References);
    }

    [Fact]
    public void Every_product_project_in_the_table_exists()
    {
        var names = Projects("src").Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var missing = ProductProjects.Where(n => !names.Contains(n)).ToList();
        Assert.Empty(missing);
    }

    private static List<ProjectFile> Projects(string folder)
    {
        var root = Path.Combine(Repo.Root, folder);
        return [.. Directory.EnumerateFiles(root, "*.csproj", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Select(ProjectFile.Read)];
    }

    private sealed record Reference(string Name, string RelativePath);

    private sealed record ProjectFile(string Name, string RelativePath, List<Reference> References)
    {
        public static ProjectFile Read(string path)
        {
            var directory = Path.GetDirectoryName(path)!;
            var references = XDocument.Load(path).Descendants()
                .Where(e => e.Name.LocalName == "ProjectReference")
                .Select(e => e.Attribute("Include")?.Value)
                .OfType<string>()
                .Select(include => Path.GetFullPath(Path.Combine(directory, include.Replace('\\', '/'))))
                .Select(full => new Reference(Path.GetFileNameWithoutExtension(full), Relative(full)))
                .ToList();
            return new ProjectFile(Path.GetFileNameWithoutExtension(path), Relative(path), references);
        }

        private static string Relative(string full) => Path.GetRelativePath(Repo.Root, full).Replace('\\', '/');
    }
}
