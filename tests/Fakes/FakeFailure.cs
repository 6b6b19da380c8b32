namespace CompanyHub.Fakes;

/// <summary>An injected failure: the next <see cref="Count"/> matching requests get it instead of the real answer.</summary>
/// <param name="Count">How many requests it applies to; <see cref="int.MaxValue"/> for "until cleared".</param>
/// <param name="StatusCode">The status to answer; 0 for a pure delay.</param>
/// <param name="Message">The message in the service's error body; a default per status when null.</param>
/// <param name="RetryAfterSeconds">A <c>Retry-After</c> header in seconds.</param>
/// <param name="RetryAt">A <c>Retry-After</c> header as an HTTP date.</param>
/// <param name="Delay">How long to hold the request first (timeouts).</param>
/// <param name="Endpoint">Only requests to this endpoint name; all when null.</param>
/// <param name="Code">The service's error code in the body (Google's <c>reason</c>, Notion's and Attio's <c>code</c>); a default per status when null.</param>
/// <param name="DelayResponse">Process the request normally, then hold the answer this long (with status 0): the effect
/// happens but the answer is late, or lost when the client gives up first.</param>
/// <param name="Body">The exact body to answer with (with <see cref="StatusCode"/>, as JSON): malformed or truncated JSON.</param>
public sealed record FakeFailure(
    int Count,
    int StatusCode,
    string? Message = null,
    int? RetryAfterSeconds = null,
    DateTimeOffset? RetryAt = null,
    TimeSpan? Delay = null,
    string? Endpoint = null,
    string? Code = null,
    TimeSpan? DelayResponse = null,
    string? Body = null);
