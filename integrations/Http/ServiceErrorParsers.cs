using System.Text.Json;

namespace CompanyHub.Integrations.Http;

/// <summary>Reads each service's own JSON error body shape.</summary>
internal static class ServiceErrorParsers
{
    private static readonly HashSet<string> GoogleTransientReasons = new(StringComparer.Ordinal)
    {
        "rateLimitExceeded", "userRateLimitExceeded", "backendError", "internalError", "quotaExceeded",
    };

    private static readonly HashSet<string> NotionTransientCodes = new(StringComparer.Ordinal)
    {
        "rate_limited", "conflict_error", "internal_server_error", "service_unavailable", "database_connection_unavailable", "gateway_timeout",
    };

    /// <summary>
    /// Google APIs answer <c>{"error":{"code":403,"message":"...","status":"PERMISSION_DENIED","errors":[{"reason":"..."}]}}</c>;
    /// its OAuth endpoints answer <c>{"error":"invalid_grant","error_description":"..."}</c>.
    /// Gmail and Calendar report rate limits as 403 with a rate-limit reason: those are transient too.
    /// </summary>
    public static ServiceError? Google(JsonElement body)
    {
        if (!body.TryGetProperty("error", out var error))
        {
            return null;
        }

        if (error.ValueKind == JsonValueKind.String)
        {
            var code = error.GetString();
            return new ServiceError(code, body.GetStringOrNull("error_description") ?? code);
        }

        if (error.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        string? reason = null;
        if (error.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
        {
            reason = errors[0].GetStringOrNull("reason");
        }

        return new ServiceError(
            error.GetStringOrNull("status") ?? reason,
            error.GetStringOrNull("message"),
            reason is not null && GoogleTransientReasons.Contains(reason));
    }

    /// <summary>Notion answers <c>{"object":"error","status":404,"code":"object_not_found","message":"..."}</c>.</summary>
    public static ServiceError? Notion(JsonElement body)
    {
        var code = body.GetStringOrNull("code");
        var message = body.GetStringOrNull("message");
        return code is null && message is null ? null : new ServiceError(code, message, code is not null && NotionTransientCodes.Contains(code));
    }

    /// <summary>Attio answers <c>{"status_code":404,"type":"invalid_request_error","code":"not_found","message":"..."}</c>.</summary>
    public static ServiceError? Attio(JsonElement body)
    {
        var code = body.GetStringOrNull("code");
        var message = body.GetStringOrNull("message");
        return code is null && message is null ? null : new ServiceError(code, message, code is "rate_limit_exceeded");
    }

    /// <summary>
    /// The Bot API answers <c>{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}</c>:
    /// the wait is in the body, not in a header.
    /// </summary>
    public static ServiceError? Telegram(JsonElement body)
    {
        var description = body.GetStringOrNull("description");
        if (description is null && !body.TryGetProperty("error_code", out _))
        {
            return null;
        }

        TimeSpan? retryAfter = body.GetObjectOrNull("parameters") is { } parameters && parameters.TryGetProperty("retry_after", out var wait) && wait.TryGetInt32(out var seconds) && seconds >= 0
            ? TimeSpan.FromSeconds(seconds)
            : null;
        var code = body.TryGetProperty("error_code", out var number) && number.TryGetInt32(out var n) ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return new ServiceError(code, description, retryAfter is not null, retryAfter);
    }
}
