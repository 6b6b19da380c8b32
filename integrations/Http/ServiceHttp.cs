using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace CompanyHub.Integrations.Http;

/// <summary>
/// Sends one request to a service and turns every kind of failure into an <see cref="IntegrationException"/>.
/// It does not retry: the durable activity that calls a client owns the retry policy, and a second layer of
/// retries would multiply the attempts (and could send an email twice).
/// </summary>
internal sealed class ServiceHttp
{
    private const int MaxErrorBodyChars = 16 * 1024;
    private readonly HttpClient _http;
    private readonly string _service;
    private readonly Func<JsonElement, ServiceError?> _parseError;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public ServiceHttp(HttpClient http, string service, Func<JsonElement, ServiceError?> parseError, ILogger logger, TimeProvider time)
    {
        _http = http;
        _service = service;
        _parseError = parseError;
        _logger = logger;
        _time = time;
    }

    public static HttpRequestMessage Request(HttpMethod method, string url, string? bearerToken, JsonNode? body = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (bearerToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return request;
    }

    /// <summary>Sends the request and returns the JSON body of a successful answer (an empty object for an empty body).</summary>
    /// <param name="request">The request; disposed here.</param>
    /// <param name="operation">A stable name of the call for messages and logs, such as <c>notion.pages.create</c>; never a URL with secrets.</param>
    /// <param name="cancellationToken">Cancels the call; a cancellation is rethrown as is, a timeout becomes a transient failure.</param>
    public async Task<JsonElement> SendAsync(HttpRequestMessage request, string operation, CancellationToken cancellationToken)
    {
        using var _ = request;
        HttpResponseMessage response;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            HubMetrics.ServiceCall(_service, operation, System.Diagnostics.Stopwatch.GetElapsedTime(started), (int)response.StatusCode, null);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            HubMetrics.ServiceCall(_service, operation, System.Diagnostics.Stopwatch.GetElapsedTime(started), null, "timeout");
            _logger.ServiceCallTimedOut(_service, operation, _http.Timeout);
            throw new IntegrationException(
                _service, $"{_service} {operation} timed out after {_http.Timeout.TotalSeconds:0.#} s.", isTransient: true, innerException: ex);
        }
        catch (HttpRequestException ex)
        {
            HubMetrics.ServiceCall(_service, operation, System.Diagnostics.Stopwatch.GetElapsedTime(started), null, "unreachable");
            _logger.ServiceUnreachable(_service, operation, ex.Message);
            throw new IntegrationException(
                _service, $"{_service} {operation} could not reach the service: {ex.Message}", isTransient: true, innerException: ex);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw Failure(response, text, operation);
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                return EmptyObject();
            }

            try
            {
                using var document = JsonDocument.Parse(text);
                return document.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new IntegrationException(
                    _service, $"{_service} {operation} answered {(int)response.StatusCode} with a body that is not JSON.",
                    response.StatusCode, innerException: ex);
            }
        }
    }

    private IntegrationException Failure(HttpResponseMessage response, string body, string operation)
    {
        var error = TryParseError(body);
        var status = response.StatusCode;
        var transient = (int)status >= 500 || status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || error?.IsTransient == true;
        var retryAfter = ParseRetryAfter(response.Headers.RetryAfter, _time.GetUtcNow()) ?? error?.RetryAfter;
        _logger.ServiceCallFailed(_service, operation, (int)status, error?.Code, transient);

        var message = new StringBuilder()
            .Append(_service).Append(' ').Append(operation).Append(" failed with ").Append((int)status)
            .Append(' ').Append(response.ReasonPhrase ?? status.ToString());
        if (error?.Code is { } code)
        {
            message.Append(" (").Append(code).Append(')');
        }

        if (error?.Message is { } serviceMessage)
        {
            message.Append(": ").Append(serviceMessage);
        }
        else if (error is null && !string.IsNullOrWhiteSpace(body))
        {
            // A proxy's HTML page or plain text: keep a short, single-line excerpt.
            message.Append(": ").Append(Excerpt(body));
        }

        if (retryAfter is { } wait)
        {
            message.Append(" (retry after ").Append(wait.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)).Append(" s)");
        }

        return new IntegrationException(_service, message.ToString(), status, error?.Code, error?.Message, transient, retryAfter);
    }

    private ServiceError? TryParseError(string body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.Length > MaxErrorBodyChars)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object ? _parseError(document.RootElement) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads <c>Retry-After</c> in either of its forms: delta seconds or an HTTP date.</summary>
    internal static TimeSpan? ParseRetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now)
    {
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - now;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static string Excerpt(string body)
    {
        var flat = string.Join(' ', body.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return flat.Length <= 200 ? flat : flat[..200] + "…";
    }

    private static JsonElement EmptyObject()
    {
        using var document = JsonDocument.Parse("{}");
        return document.RootElement.Clone();
    }
}
