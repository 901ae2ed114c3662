using EdgeStream.Http.Status;

namespace EdgeStream.Http.Pull;

/// <summary><c>GET /api/v1/topics</c>. Immutable.</summary>
internal sealed record TopicsResponse(IReadOnlyList<TopicView> Topics);

/// <summary>A cursor's committed position (PUT answer and GET of one cursor). Immutable.</summary>
internal sealed record CursorResponse(string Name, string Topic, int Partition, long NextOffset);

/// <summary><c>GET /api/v1/cursors</c>. Immutable.</summary>
internal sealed record CursorsResponse(IReadOnlyList<CursorView> Cursors);
