using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeStream.Http.Ingest;
using EdgeStream.Http.Pull;
using EdgeStream.Http.Status;

namespace EdgeStream.Http;

/// <summary>
/// Source-generated JSON for the server's own response types (camelCase; no reflection, trim-safe), and for the
/// framework's problem documents (<see cref="Problems"/>), which it serializes through the host's JSON options.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))]
[JsonSerializable(typeof(StatusDocument))]
[JsonSerializable(typeof(TopicsResponse))]
[JsonSerializable(typeof(TopicView))]
[JsonSerializable(typeof(IngestResponse))]
[JsonSerializable(typeof(CursorResponse))]
[JsonSerializable(typeof(CursorsResponse))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonNode))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class HttpJsonContext : JsonSerializerContext;
