using System.Security.Claims;

namespace Serverless.Functions.Security;

/// <summary>The decision of an <see cref="IFunctionsAuthorizationHandler"/>.</summary>
public sealed class FunctionsAuthorizationResult
{
    private FunctionsAuthorizationResult(FunctionsAuthorizationOutcome outcome, ClaimsPrincipal? principal, int statusCode, string? detail, bool isHostKey)
    {
        Outcome = outcome;
        Principal = principal;
        StatusCode = statusCode;
        Detail = detail;
        IsHostKey = isHostKey;
    }

    /// <summary>Gets the result that leaves the decision to the next handler.</summary>
    public static FunctionsAuthorizationResult NoResult { get; } = new(FunctionsAuthorizationOutcome.NoResult, null, 0, null, false);

    /// <summary>Gets the outcome.</summary>
    public FunctionsAuthorizationOutcome Outcome { get; }

    /// <summary>Gets the caller's identity when allowed; it becomes <c>HttpContext.User</c>.</summary>
    public ClaimsPrincipal? Principal { get; }

    /// <summary>Gets the status code when denied (401, 403 or 404).</summary>
    public int StatusCode { get; }

    /// <summary>Gets the message for the caller when denied.</summary>
    public string? Detail { get; }

    /// <summary>Gets whether the caller presented the host (admin) key.</summary>
    public bool IsHostKey { get; }

    /// <summary>Allows the request.</summary>
    public static FunctionsAuthorizationResult Allow(ClaimsPrincipal? principal = null) => new(FunctionsAuthorizationOutcome.Allowed, principal, 0, null, false);

    /// <summary>Denies the request with a status code (401 no or bad credentials, 403 not enough rights, 404 to hide the resource).</summary>
    public static FunctionsAuthorizationResult Deny(int statusCode, string detail)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        return new(FunctionsAuthorizationOutcome.Denied, null, statusCode, detail, false);
    }

    internal static FunctionsAuthorizationResult AllowHostKey(ClaimsPrincipal principal) => new(FunctionsAuthorizationOutcome.Allowed, principal, 0, null, true);
}

/// <summary>The outcome of an authorization decision.</summary>
public enum FunctionsAuthorizationOutcome
{
    /// <summary>The handler does not decide.</summary>
    NoResult,

    /// <summary>The request may proceed.</summary>
    Allowed,

    /// <summary>The request is refused.</summary>
    Denied,
}
