using System.Security.Claims;

namespace Serverless.Functions.Security;

/// <summary>Allows a request that carries the host key in <c>x-functions-key</c> or <c>?code=</c>, at every level.</summary>
internal sealed class HostKeyAuthorizationHandler(HostKeys keys) : IFunctionsAuthorizationHandler
{
    public ValueTask<FunctionsAuthorizationResult> AuthorizeAsync(FunctionsAuthorizationContext context)
    {
        if (!keys.Matches(HostKeys.Presented(context.HttpContext.Request)))
        {
            return ValueTask.FromResult(FunctionsAuthorizationResult.NoResult);
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "host"), new Claim(ClaimTypes.Role, "admin")], authenticationType: "HostKey");
        return ValueTask.FromResult(FunctionsAuthorizationResult.AllowHostKey(new ClaimsPrincipal(identity)));
    }
}
