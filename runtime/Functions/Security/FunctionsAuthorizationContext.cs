using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Serverless.Functions.Security;

/// <summary>What an <see cref="IFunctionsAuthorizationHandler"/> decides about.</summary>
public sealed class FunctionsAuthorizationContext
{
    /// <summary>Initializes a new instance of the <see cref="FunctionsAuthorizationContext"/> class.</summary>
    public FunctionsAuthorizationContext(HttpContext httpContext, AuthorizationLevel level, FunctionDefinition? function)
    {
        HttpContext = httpContext;
        Level = level;
        Function = function;
    }

    /// <summary>Gets the request.</summary>
    public HttpContext HttpContext { get; }

    /// <summary>Gets the level the target requires.</summary>
    public AuthorizationLevel Level { get; }

    /// <summary>Gets the function called; null for the host's own endpoints (the Durable management API).</summary>
    public FunctionDefinition? Function { get; }

    /// <summary>Gets whether the target is the Durable Functions management API (<c>/runtime/webhooks/durabletask</c>).</summary>
    public bool IsManagementApi => Function is null;
}
