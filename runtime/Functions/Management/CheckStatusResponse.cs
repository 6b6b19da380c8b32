using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Serverless.Functions.Management;

namespace Serverless.Functions;

/// <summary>
/// The async HTTP 202 pattern of Durable Functions: status 202 Accepted, <c>Location</c> = the status URL,
/// <c>Retry-After: 10</c>, and the management URLs as JSON. Works as a minimal API <see cref="IResult"/> and as an
/// MVC <see cref="IActionResult"/>.
/// </summary>
public sealed class CheckStatusResponse : IResult, IActionResult
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    internal CheckStatusResponse(InstanceManagementUrls payload, int statusCode = StatusCodes.Status202Accepted)
    {
        Payload = payload;
        StatusCode = statusCode;
    }

    /// <summary>Gets the management URLs.</summary>
    internal InstanceManagementUrls Payload { get; }

    /// <summary>Gets the status code. Default is 202.</summary>
    public int StatusCode { get; }

    /// <inheritdoc/>
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        httpContext.Response.StatusCode = StatusCode;
        httpContext.Response.Headers.Location = Payload.StatusQueryGetUri;
        httpContext.Response.Headers.RetryAfter = "10";
        await httpContext.Response.WriteAsJsonAsync(Payload, Json, httpContext.RequestAborted);
    }

    /// <inheritdoc/>
    public Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ExecuteAsync(context.HttpContext);
    }
}
