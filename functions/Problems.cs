using CompanyHub.Security;
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

    /// <summary>
    /// <c>429</c> with <c>Retry-After</c> (<see cref="RequestLimiter.SetRetryAfter"/>): nothing was done; the detail says
    /// which limit was reached and when to try again.
    /// </summary>
    public static IResult TooManyRequests(HttpResponse response, TimeSpan retryAfter, string detail, IDictionary<string, object?>? extensions = null)
    {
        RequestLimiter.SetRetryAfter(response, retryAfter);
        return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too Many Requests", detail: detail, extensions: extensions);
    }

    /// <summary>The person used up their allowance of <paramref name="kind"/>: <c>429</c> naming the limit, with <c>Retry-After</c>.</summary>
    public static IResult LimitReached(HttpResponse response, PersonLimit kind, RateLimit limit, TimeSpan retryAfter)
    {
        ArgumentNullException.ThrowIfNull(limit);
        var seconds = RequestLimiter.Seconds(retryAfter);
        return TooManyRequests(response, retryAfter,
            $"Too many {PersonLimits.Describe(kind)}: each person may make {limit}. This request was not carried out; try again in {seconds} second{(seconds == 1 ? "" : "s")}.",
            new Dictionary<string, object?>
            {
                ["limit"] = kind.ToString().ToLowerInvariant(),
                ["permitLimit"] = limit.PermitLimit,
                ["windowSeconds"] = (long)limit.Window.TotalSeconds,
                ["retryAfterSeconds"] = seconds,
            });
    }

    public static IResult Forbidden(string detail) => Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail);

    public static IResult Unavailable(string detail) => Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not Available", detail: detail);

    /// <summary>What a problem answer says, as one line for a person (its detail, then each field's errors); null for an answer that is not a problem.</summary>
    public static string? DetailOf(IResult result) => (result as IValueHttpResult)?.Value switch
    {
        HttpValidationProblemDetails validation => string.Join(" ", new[] { validation.Detail }.Concat(validation.Errors.SelectMany(e => e.Value)).OfType<string>()),
        Microsoft.AspNetCore.Mvc.ProblemDetails problem => problem.Detail ?? problem.Title,
        _ => null,
    };
}
