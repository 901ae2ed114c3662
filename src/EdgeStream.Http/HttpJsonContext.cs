using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeStream.Http.Ingest;
using EdgeStream.Http.Pull;
using EdgeStream.Http.Status;

namespace EdgeStream.Http;

/// <summary>Source-generated JSON for the server's own response types (camelCase; no reflection, trim-safe).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(StatusDocument))]
[JsonSerializable(typeof(TopicsResponse))]
[JsonSerializable(typeof(TopicView))]
[JsonSerializable(typeof(IngestResponse))]
[JsonSerializable(typeof(CursorResponse))]
[JsonSerializable(typeof(CursorsResponse))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonNode))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class HttpJsonContext : JsonSerializerContext;
