using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EdgeStream.Http;

/// <summary>Error responses as RFC 9457 problem details (<c>application/problem+json</c>), one shape everywhere. Stateless.</summary>
internal static class Problems
{
    public static ProblemHttpResult Create(int status, string detail) => TypedResults.Problem(detail: detail, statusCode: status);

    public static ProblemHttpResult BadRequest(string detail) => Create(StatusCodes.Status400BadRequest, detail);

    public static ProblemHttpResult NotFound(string detail) => Create(StatusCodes.Status404NotFound, detail);
}
