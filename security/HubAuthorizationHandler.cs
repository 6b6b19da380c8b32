using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Azure.Functions.Worker;
using Serverless.Functions.Security;

namespace CompanyHub.Security;

/// <summary>
/// The hub's rules for every User-, Function- and Admin-level function and the management API: admin token or user
/// token (bearer or cookie); a user token never reaches admin routes (404); cookie-authenticated writes must be
/// same-origin (403); failed attempts are rate-limited per address (429).
/// </summary>
public sealed class HubAuthorizationHandler(TokenAuthenticator authenticator, IOptions<HubOptions> options) : IFunctionsAuthorizationHandler
{
    public async ValueTask<FunctionsAuthorizationResult> AuthorizeAsync(FunctionsAuthorizationContext context)
    {
        var http = context.HttpContext;
        var address = TokenAuthenticator.AddressOf(http);
        var auth = await authenticator.AuthenticateAsync(http);
        if (auth.Caller is null)
        {
            if (auth.Presented)
            {
                // Failures are throttled, not addresses: valid credentials always pass (behind a gateway every person
                // shares one address), and tokens are too long to guess.
                if (authenticator.IsLockedOut(address))
                {
                    TokenAuthenticator.AddRetryAfter(http.Response);
                    return FunctionsAuthorizationResult.Deny(StatusCodes.Status429TooManyRequests, "Too many failed sign-in attempts from this address. Wait a few minutes and try again.");
                }

                authenticator.RecordFailure(address);
                if (auth.Source == CredentialSource.Cookie)
                {
                    // A replaced or revoked token in the cookie: the browser stops sending it, so an open dashboard that
                    // keeps polling counts one failure, not enough to lock its address (a shared gateway's) out.
                    http.Response.Cookies.Delete(TokenAuthenticator.CookieName, new CookieOptions { Path = "/", HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = options.Value.IsHttps || http.Request.IsHttps });
                }

                return FunctionsAuthorizationResult.Deny(StatusCodes.Status401Unauthorized, "The token is wrong, revoked or replaced. Open the newest link you were sent, or ask your admin for a new one.");
            }

            return FunctionsAuthorizationResult.NoResult;
        }

        if (auth.Source == CredentialSource.Cookie && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method) && !HttpMethods.IsOptions(http.Request.Method) && !IsSameOrigin(http.Request, options.Value.PublicBaseUrl))
        {
            return FunctionsAuthorizationResult.Deny(StatusCodes.Status403Forbidden, "Cross-site request refused: this change must come from the hub's own pages.");
        }

        if ((context.Level == AuthorizationLevel.Admin || context.IsManagementApi) && !auth.Caller.IsAdmin)
        {
            return FunctionsAuthorizationResult.Deny(StatusCodes.Status404NotFound, "Not found.");
        }

        return FunctionsAuthorizationResult.Allow(auth.Caller.ToPrincipal());
    }

    /// <summary>
    /// Same-origin by <c>Sec-Fetch-Site</c> when the browser sends it, else by <c>Origin</c> against the public URL — which
    /// is what the browser sees behind a TLS-terminating gateway — or the request's own scheme and host.
    /// </summary>
    public static bool IsSameOrigin(HttpRequest request, string? publicBaseUrl = null)
    {
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        if (fetchSite.Length > 0)
        {
            return fetchSite is "same-origin" or "none";
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return false;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri))
        {
            return false;
        }

        if (publicBaseUrl is not null && Uri.TryCreate(publicBaseUrl, UriKind.Absolute, out var publicUri)
            && string.Equals(uri.Scheme, publicUri.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(uri.Authority, publicUri.Authority, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
            && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase);
    }
}
