using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using Serverless.Functions.Security;

namespace CompanyHub.Cli;

/// <summary>
/// A running hub's Durable Functions management API (<c>/runtime/webhooks/durabletask</c>), with the host key in the
/// <c>x-functions-key</c> header (never in a URL, so it stays out of logs and error messages). The hub audits every
/// change made through it.
/// </summary>
public sealed class HubApiBackend : IDurableBackend
{
    private const string BasePath = "runtime/webhooks/durabletask/";
    private const string ContinuationHeader = "x-ms-continuation-token";
    private readonly HttpClient _http;

    public HubApiBackend(Uri baseUrl, string hostKey, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentException.ThrowIfNullOrEmpty(hostKey);
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.BaseAddress = new Uri(baseUrl.ToString().TrimEnd('/') + "/" + BasePath);
        _http.Timeout = TimeSpan.FromSeconds(100);
        _http.DefaultRequestHeaders.Add(HostKeys.HeaderName, hostKey);
        Target = baseUrl.ToString().TrimEnd('/');
    }

    public string Target { get; }

    public async Task<InstancePage> ListAsync(InstanceFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var query = new List<string> { $"top={filter.Top}", $"showInput={Bool(filter.ShowInput)}" };
        AddTime(query, "createdTimeFrom", filter.CreatedAfter);
        AddTime(query, "createdTimeTo", filter.CreatedBefore);
        AddStatuses(query, filter.Statuses);
        if (!string.IsNullOrEmpty(filter.InstanceIdPrefix))
        {
            query.Add("instanceIdPrefix=" + Uri.EscapeDataString(filter.InstanceIdPrefix));
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "instances?" + string.Join('&', query));
        if (!string.IsNullOrEmpty(filter.ContinuationToken))
        {
            request.Headers.TryAddWithoutValidation(ContinuationHeader, filter.ContinuationToken);
        }

        using var response = await SendAsync(request, null, cancellationToken);
        var next = response.Headers.TryGetValues(ContinuationHeader, out var values) ? values.FirstOrDefault() : null;
        var body = await ReadJsonAsync(response, cancellationToken);
        return new InstancePage([.. body.EnumerateArray()], string.IsNullOrEmpty(next) ? null : next);
    }

    public async Task<JsonElement> GetStatusAsync(string instanceId, bool showInput, bool history, CancellationToken cancellationToken)
    {
        var query = $"showInput={Bool(showInput)}" + (history ? "&showHistory=true&showHistoryOutput=true" : string.Empty);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"instances/{Segment(instanceId)}?{query}");
        using var response = await SendAsync(request, instanceId, cancellationToken);
        var status = await ReadJsonAsync(response, cancellationToken);
        return status.ValueKind == JsonValueKind.Object
            ? status
            : throw new DurableCommandException(DurableExitCodes.Failed, $"{Target} answered the status of '{instanceId}' with something other than a status object.");
    }

    public async Task<string> StartAsync(string functionName, string? instanceId, JsonElement? input, CancellationToken cancellationToken)
    {
        var path = $"orchestrators/{Segment(functionName)}" + (string.IsNullOrEmpty(instanceId) ? string.Empty : "/" + Segment(instanceId));
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent(input) };
        using var response = await SendAsync(request, null, cancellationToken);
        var body = await ReadJsonAsync(response, cancellationToken);
        return body.TryGetProperty("id", out var id) && id.GetString() is { Length: > 0 } started
            ? started
            : throw new DurableCommandException(DurableExitCodes.Failed, $"{Target} started the orchestration but did not say its instance id.");
    }

    public async Task RaiseEventAsync(string instanceId, string eventName, JsonElement? data, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"instances/{Segment(instanceId)}/raiseEvent/{Segment(eventName)}")
        {
            Content = JsonContent(data) ?? new StringContent(string.Empty, Encoding.UTF8, "application/json"),
        };
        using var response = await SendAsync(request, instanceId, cancellationToken);
    }

    public async Task ControlAsync(string instanceId, InstanceOperation operation, string? reason, CancellationToken cancellationToken)
    {
        var path = $"instances/{Segment(instanceId)}/{operation.ToString().ToLowerInvariant()}" + (string.IsNullOrEmpty(reason) ? string.Empty : "?reason=" + Uri.EscapeDataString(reason));
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        using var response = await SendAsync(request, instanceId, cancellationToken);
    }

    public async Task<int> PurgeAsync(string instanceId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"instances/{Segment(instanceId)}");
        using var response = await SendAsync(request, instanceId, cancellationToken);
        return (await ReadJsonAsync(response, cancellationToken)).GetProperty("instancesDeleted").GetInt32();
    }

    public async Task<int> PurgeAsync(DateTimeOffset createdAfter, DateTimeOffset? createdBefore, IReadOnlyList<OrchestrationRuntimeStatus> statuses, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        var query = new List<string>();
        AddTime(query, "createdTimeFrom", createdAfter);
        AddTime(query, "createdTimeTo", createdBefore);
        AddStatuses(query, statuses);
        using var request = new HttpRequestMessage(HttpMethod.Delete, "instances?" + string.Join('&', query));
        using var response = await SendAsync(request, null, cancellationToken, notFoundIsAnswer: true);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            // The API answers 404 when no finished instance matched the filter: nothing to purge is not an error here.
            return 0;
        }

        return (await ReadJsonAsync(response, cancellationToken)).GetProperty("instancesDeleted").GetInt32();
    }

    public Task<IReadOnlyList<string>> DeleteTaskHubAsync(CancellationToken cancellationToken) =>
        throw new DurableCommandException(DurableExitCodes.Usage, "delete-task-hub works on a stopped hub's store only: stop the hub, then run it with --data-dir <data directory>.");

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Sends the request and turns an answer other than 2xx into the exit code and the API's own message.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string? instanceId, CancellationToken cancellationToken, bool notFoundIsAnswer = false)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new DurableCommandException(DurableExitCodes.Failed, $"Could not reach the hub at {Target}: {ex.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DurableCommandException(DurableExitCodes.Failed, $"The hub at {Target} did not answer within {_http.Timeout.TotalSeconds:0} seconds.");
        }

        if (response.IsSuccessStatusCode || (notFoundIsAnswer && response.StatusCode == HttpStatusCode.NotFound))
        {
            return response;
        }

        using (response)
        {
            var detail = await ProblemDetailAsync(response, cancellationToken);
            var code = response.StatusCode switch
            {
                HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge => DurableExitCodes.Usage,
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => DurableExitCodes.Denied,
                HttpStatusCode.NotFound => DurableExitCodes.NotFound,
                HttpStatusCode.Conflict or HttpStatusCode.Gone or HttpStatusCode.PreconditionFailed => DurableExitCodes.Conflict,
                HttpStatusCode.NotImplemented => DurableExitCodes.NotSupported,
                _ => DurableExitCodes.Failed,
            };
            var message = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                ? $"The hub at {Target} refused the host key ({(int)response.StatusCode}): pass the key of this hub with --key, or run where its data directory is."
                : detail ?? $"The hub at {Target} answered {(int)response.StatusCode} {response.ReasonPhrase}" + (instanceId is null ? "." : $" for instance '{instanceId}'.");
            throw new DurableCommandException(code, message);
        }
    }

    private static async Task<string?> ProblemDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String
                ? detail.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new DurableCommandException(DurableExitCodes.Failed, $"{Target} answered {(int)response.StatusCode} without JSON; is it a Company Hub?");
        }
    }

    private static StringContent? JsonContent(JsonElement? value) =>
        value is { } json ? new StringContent(json.GetRawText(), Encoding.UTF8, "application/json") : null;

    private static string Segment(string value) => Uri.EscapeDataString(value);

    private static string Bool(bool value) => value ? "true" : "false";

    private static void AddTime(List<string> query, string name, DateTimeOffset? time)
    {
        if (time is { } t)
        {
            query.Add($"{name}={Uri.EscapeDataString(t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture))}");
        }
    }

    private static void AddStatuses(List<string> query, IReadOnlyList<OrchestrationRuntimeStatus> statuses)
    {
        if (statuses.Count > 0)
        {
            query.Add("runtimeStatus=" + string.Join(',', statuses));
        }
    }
}
