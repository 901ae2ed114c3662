using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeStream.Forwarding;
using EdgeStream.Ingest.Sensors.Diagnostics;

namespace EdgeStream.Host.Run;

/// <summary>
/// Source-generated JSON for the status sections the host contributes (sinks, sensors, rules), with the conventions of the
/// rest of <c>/api/status</c>: camelCase, enums as strings. Source-generated so the NativeAOT build can write them.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(IReadOnlyList<SinkStatus>))]
[JsonSerializable(typeof(IReadOnlyList<SensorStatus>))]
[JsonSerializable(typeof(IReadOnlyList<EdgeStream.Processing.Runtime.RuleStatus>))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;
