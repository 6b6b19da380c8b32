using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Options;

namespace CompanyHub.Security;

/// <summary>
/// Dashboard links carry the token in the query (<c>/?token=...</c>). For a browser GET, the token is exchanged for an
/// HttpOnly, SameSite=Strict cookie and the browser is sent to the same URL without it, so the token leaves no trace in
/// history, logs or Referer. A bad token gets a page that says how to get a new link.
/// </summary>
public sealed class TokenLinkMiddleware(RequestDelegate next, TokenAuthenticator authenticator, IAuditLog audit, IOptions<HubOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) || !request.Query.TryGetValue("token", out var values)
            || request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/runtime"))
        {
            await next(context);
            return;
        }

        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        var address = TokenAuthenticator.AddressOf(context);
        var token = values.ToString();
        var caller = await authenticator.ResolveAsync(token, allowUser: true, context.RequestAborted);
        if (caller is null)
        {
            // Only failures are throttled: a valid link works even while its address is limited.
            if (authenticator.IsLockedOut(address))
            {
                TokenAuthenticator.AddRetryAfter(context.Response);
                await Pages.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too many attempts", "Too many failed sign-in attempts came from this address. Wait a few minutes and open your link again.");
                return;
            }

            authenticator.RecordFailure(address);
            await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "anonymous", "auth.login-failed", null, request.Path.Value, "dashboard link with a wrong, replaced or revoked token", address, "refused"), context.RequestAborted);
            await Pages.WriteAsync(context, StatusCodes.Status401Unauthorized, "This link does not work",
                "The link is wrong, or it was replaced by a newer one (tokens change when they are rotated), or the agent was offboarded. Open the newest link you were sent, or ask your admin for a new one.");
            return;
        }

        context.Response.Cookies.Append(TokenAuthenticator.CookieName, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = options.Value.IsHttps || request.IsHttps,
            Path = "/",
            MaxAge = TimeSpan.FromDays(30),
            IsEssential = true,
        });

        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, caller.Actor, "auth.login", caller.AgentId, request.Path.Value, "dashboard link exchanged for a session cookie", address, "ok"), context.RequestAborted);
        // Query names match case-insensitively (the token was found as "token", "Token" or "TOKEN"): all of them go, or
        // the browser would be sent to a link that still carries the token, again and again.
        var query = QueryString.Create(request.Query.Where(q => !string.Equals(q.Key, "token", StringComparison.OrdinalIgnoreCase)).SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v))));
        // "//evil.example/" would send the browser to another host: the target is always a path of this hub.
        var path = (request.PathBase + request.Path).ToUriComponent();
        if (path.StartsWith("//", StringComparison.Ordinal))
        {
            path = "/" + path.TrimStart('/');
        }

        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = path + query.ToUriComponent();
    }
}

/// <summary>Small, plain HTML pages for links people open (invites, OAuth results, token errors).</summary>
public static class Pages
{
    public static Task WriteAsync(HttpContext context, int status, string title, string message, string? linkHref = null, string? linkText = null, string? extraHtml = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(Render(title, message, linkHref, linkText, extraHtml));
    }

    public static string Render(string title, string message, string? linkHref = null, string? linkText = null, string? extraHtml = null)
    {
        var link = linkHref is null ? "" : $"<p><a class=\"button\" href=\"{WebUtility.HtmlEncode(linkHref)}\">{WebUtility.HtmlEncode(linkText ?? linkHref)}</a></p>";
        return $$"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer">
            <title>{{WebUtility.HtmlEncode(title)}} · Company Hub</title>
            <link rel="stylesheet" href="/css/hub.css">
            </head>
            <body class="page">
            <main class="card narrow">
            <h1>{{WebUtility.HtmlEncode(title)}}</h1>
            <p>{{WebUtility.HtmlEncode(message)}}</p>
            {{link}}
            {{extraHtml ?? ""}}
            </main>
            </body>
            </html>
            """;
    }
}
