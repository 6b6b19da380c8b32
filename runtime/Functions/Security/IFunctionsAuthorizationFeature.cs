using Microsoft.Azure.Functions.Worker;

namespace Serverless.Functions.Security;

/// <summary>Set on <c>HttpContext.Features</c> once a request is authorized; tells later code how.</summary>
public interface IFunctionsAuthorizationFeature
{
    /// <summary>Gets the level that was required.</summary>
    AuthorizationLevel Level { get; }

    /// <summary>Gets whether the caller presented the host (admin) key.</summary>
    bool IsHostKey { get; }
}

/// <summary>The host's implementation of <see cref="IFunctionsAuthorizationFeature"/>.</summary>
internal sealed record FunctionsAuthorizationFeature(AuthorizationLevel Level, bool IsHostKey) : IFunctionsAuthorizationFeature;
