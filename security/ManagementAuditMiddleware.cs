using Microsoft.AspNetCore.Http;

namespace CompanyHub.Security;

/// <summary>
/// Writes every change made through the Durable Functions management API (start, raise event, terminate, suspend,
/// resume, restart, purge, entity signals) to the audit log: who, what path, from where, and the answer's status.
/// Reads are not recorded; request bodies (which may carry personal data) are not either.
/// </summary>
public sealed class ManagementAuditMiddleware(RequestDelegate next, IAuditLog audit)
{
    private const string Prefix = "/runtime/webhooks/durabletask";

    public async Task InvokeAsync(HttpContext context)
    {
        await next(context);
        var request = context.Request;
        if (!request.Path.StartsWithSegments(Prefix) || HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            return;
        }

        var status = context.Response.StatusCode;
        if (status is StatusCodes.Status401Unauthorized or StatusCodes.Status404NotFound && context.User.Identity?.IsAuthenticated != true)
        {
            return; // Refused before anyone was identified: the authentication layer counts those.
        }

        var actor = context.User.IsInRole(Caller.AdminRole) ? "admin" : context.User.Identity?.Name ?? "anonymous";
        await audit.AppendAsync(new AuditRecord(
            DateTimeOffset.UtcNow, actor, "management." + request.Method.ToLowerInvariant(), null,
            request.Path.Value?[Prefix.Length..], null, TokenAuthenticator.AddressOf(context), status < 400 ? "ok" : $"refused {status}"), CancellationToken.None);
    }
}
