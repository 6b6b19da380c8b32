using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;

namespace Serverless.Functions.Http;

/// <summary>Turns what an HTTP function returned into the response.</summary>
internal static class HttpResultWriter
{
    /// <summary>
    /// <see cref="IResult"/> and <see cref="IActionResult"/> execute themselves; a string is text/plain; any other value
    /// is JSON with status 200; no value (void, Task, null) gives 204, unless the function already set a status or wrote.
    /// </summary>
    public static Task WriteAsync(HttpContext http, object? result, JsonSerializerOptions json)
    {
        switch (result)
        {
            case IResult r:
                return r.ExecuteAsync(http);
            case IActionResult a:
                return a.ExecuteResultAsync(new ActionContext(http, http.GetRouteData(), new ActionDescriptor()));
            case null:
                if (!http.Response.HasStarted && http.Response.StatusCode == StatusCodes.Status200OK)
                {
                    http.Response.StatusCode = StatusCodes.Status204NoContent;
                }

                return Task.CompletedTask;
            case string s:
                http.Response.ContentType = "text/plain; charset=utf-8";
                return http.Response.WriteAsync(s, http.RequestAborted);
            default:
                return http.Response.WriteAsJsonAsync(result, result.GetType(), json, http.RequestAborted);
        }
    }
}
