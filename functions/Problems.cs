using Microsoft.AspNetCore.Http;

namespace CompanyHub.Functions;

/// <summary>RFC 9457 problem responses with messages a person can act on.</summary>
public static class Problems
{
    public static IResult NotFound(string what = "Not found.") => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: what);

    public static IResult BadRequest(string detail) => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad Request", detail: detail);

    public static IResult Invalid(IDictionary<string, string[]> errors, string detail = "Some fields are not valid.") =>
        Results.ValidationProblem(errors, detail: detail, title: "Bad Request");

    public static IResult Conflict(string detail, object? extensions = null)
    {
        var ext = new Dictionary<string, object?>();
        if (extensions is not null)
        {
            foreach (var p in extensions.GetType().GetProperties())
            {
                var name = char.ToLowerInvariant(p.Name[0]) + p.Name[1..];

                // An extension named like a standard member would write that JSON member twice (invalid for most parsers).
                if (name is "type" or "title" or "status" or "detail" or "instance")
                {
                    throw new ArgumentException($"'{name}' is a standard problem details member, not an extension.", nameof(extensions));
                }

                ext[name] = p.GetValue(extensions);
            }
        }

        return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: detail, extensions: ext);
    }

    public static IResult Unavailable(string detail) => Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not Available", detail: detail);
}
