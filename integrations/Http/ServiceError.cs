namespace CompanyHub.Integrations.Http;

/// <summary>What a service said in its JSON error body.</summary>
/// <param name="RetryAfter">A wait the body asked for (Telegram's <c>parameters.retry_after</c>), used when no <c>Retry-After</c> header came.</param>
internal sealed record ServiceError(string? Code, string? Message, bool IsTransient = false, TimeSpan? RetryAfter = null);
