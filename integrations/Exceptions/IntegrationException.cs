using System.Net;

namespace CompanyHub.Integrations;

/// <summary>
/// A call to an outside service (Google, Gmail, Calendar, Notion, Attio) failed. Carries what a caller needs to
/// decide what to do next: the HTTP status, the service's own error code and message, whether trying again can
/// help (<see cref="IsTransient"/>) and how long the service asked to wait (<see cref="RetryAfter"/>).
/// The message never contains a token, a key or an OAuth code.
/// </summary>
public class IntegrationException : Exception
{
    public IntegrationException(
        string service,
        string message,
        HttpStatusCode? statusCode = null,
        string? errorCode = null,
        string? serviceMessage = null,
        bool isTransient = false,
        TimeSpan? retryAfter = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Service = service;
        StatusCode = statusCode;
        ErrorCode = errorCode;
        ServiceMessage = serviceMessage;
        IsTransient = isTransient;
        RetryAfter = retryAfter;
    }

    /// <summary>Gets the service that failed, for example <c>Gmail</c> or <c>Notion</c>.</summary>
    public string Service { get; }

    /// <summary>Gets the HTTP status the service answered with; <c>null</c> when no answer came (timeout, network).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>Gets the service's machine-readable error code (<c>invalid_grant</c>, <c>object_not_found</c>, <c>NOT_FOUND</c>, ...).</summary>
    public string? ErrorCode { get; }

    /// <summary>Gets the service's own human-readable error message, parsed from its JSON error body.</summary>
    public string? ServiceMessage { get; }

    /// <summary>Gets a value indicating whether the same call may succeed later (5xx, 429, rate limits, timeouts, network).</summary>
    public bool IsTransient { get; }

    /// <summary>Gets the wait the service asked for in its <c>Retry-After</c> header, if any.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Gets a value indicating whether the credentials were refused (401): refresh the access token or fix the key.</summary>
    public bool IsUnauthorized => StatusCode == HttpStatusCode.Unauthorized;
}
