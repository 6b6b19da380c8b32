using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;

namespace Serverless.Functions.Security;

/// <summary>Runs the authorization handlers for one request; returns null when allowed, else the problem response.</summary>
internal sealed class FunctionsAuthorizer(IEnumerable<IFunctionsAuthorizationHandler> handlers, HostKeys keys)
{
    public async ValueTask<ProblemHttpResult?> AuthorizeAsync(HttpContext httpContext, AuthorizationLevel level, FunctionDefinition? function)
    {
        if (level == AuthorizationLevel.Anonymous)
        {
            // Nothing is checked, but a caller who sent the host key anyway gets management URLs that carry it.
            httpContext.Features.Set<IFunctionsAuthorizationFeature>(new FunctionsAuthorizationFeature(level, keys.Matches(HostKeys.Presented(httpContext.Request))));
            return null;
        }

        var context = new FunctionsAuthorizationContext(httpContext, level, function);
        foreach (var handler in handlers)
        {
            var result = await handler.AuthorizeAsync(context);
            switch (result.Outcome)
            {
                case FunctionsAuthorizationOutcome.Allowed:
                    if (result.Principal is not null)
                    {
                        httpContext.User = result.Principal;
                    }

                    httpContext.Features.Set<IFunctionsAuthorizationFeature>(new FunctionsAuthorizationFeature(level, result.IsHostKey));
                    return null;
                case FunctionsAuthorizationOutcome.Denied:
                    return TypedResults.Problem(statusCode: result.StatusCode, title: Title(result.StatusCode), detail: result.Detail);
                default:
                    break;
            }
        }

        var target = function is null ? "The Durable Functions management API" : $"Function '{function.Name}'";
        var detail = level == AuthorizationLevel.User
            ? $"{target} requires a signed-in user or the host key (header {HostKeys.HeaderName} or query parameter {HostKeys.QueryName})."
            : $"{target} requires the host key: send it in the {HostKeys.HeaderName} header or the {HostKeys.QueryName} query parameter.";
        return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: detail);
    }

    private static string Title(int status) => status switch
    {
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Request refused",
    };
}
