using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Serverless.Functions.Security;

/// <summary>
/// Puts an endpoint of the host's own (not a function) behind the same rules as the Durable management API: the Admin
/// level, checked by the host key and every registered <see cref="IFunctionsAuthorizationHandler"/>.
/// </summary>
public static class HostEndpointAuthorization
{
    /// <summary>
    /// Adds a middleware to <paramref name="branch"/> that lets only Admin-level callers through; anyone else gets the
    /// problem+json answer the management API would give (401 without credentials, or what a handler decided).
    /// </summary>
    public static IApplicationBuilder RequireAdmin(this IApplicationBuilder branch)
    {
        ArgumentNullException.ThrowIfNull(branch);
        return branch.Use(async (http, next) =>
        {
            if (await http.RequestServices.GetRequiredService<FunctionsAuthorizer>().AuthorizeAsync(http, AuthorizationLevel.Admin, null) is { } denied)
            {
                await denied.ExecuteAsync(http);
                return;
            }

            await next(http);
        });
    }
}
