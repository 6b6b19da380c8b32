using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace CompanyHub.Fakes;

/// <summary>
/// The common part of the fakes: a real Kestrel server on 127.0.0.1 with a free port, started and stopped by the
/// test, which records every request (<see cref="Requests"/>, <see cref="CallCount"/>) and can answer the next
/// requests with an injected failure (<see cref="FailNext"/>, <see cref="RateLimitNext"/>, <see cref="DelayNext"/>, ...)
/// in the service's own error format.
/// </summary>
public abstract class FakeServer : IAsyncDisposable
{
    private readonly Lock _recordGate = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<FailureState> _failures = [];
    private WebApplication? _app;
    private Uri? _baseUrl;

    /// <summary>Gets the server's root, such as <c>http://127.0.0.1:43117</c> (no trailing slash).</summary>
    public string Url => (_baseUrl ?? throw new InvalidOperationException("The fake is not started.")).ToString().TrimEnd('/');

    /// <summary>Gets every request received so far, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_recordGate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>
    /// Gets or sets what runs when a request has been recorded, before it is answered: a test's way to act at that exact
    /// moment (while the client waits for this answer).
    /// </summary>
    public Func<RecordedRequest, Task>? BeforeAnswer { get; set; }

    /// <summary>Gets the number of requests received so far.</summary>
    public int TotalCalls
    {
        get
        {
            lock (_recordGate)
            {
                return _requests.Count;
            }
        }
    }

    /// <summary>How many requests reached an endpoint (injected failures included).</summary>
    public int CallCount(string endpoint)
    {
        lock (_recordGate)
        {
            return _requests.Count(r => r.Endpoint == endpoint);
        }
    }

    /// <summary>The requests to one endpoint, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> RequestsTo(string endpoint)
    {
        lock (_recordGate)
        {
            return _requests.Where(r => r.Endpoint == endpoint).ToArray();
        }
    }

    /// <summary>Answers the next <paramref name="count"/> requests (to <paramref name="endpoint"/>, or any) with <paramref name="statusCode"/>.</summary>
    public void FailNext(int count, int statusCode, string? message = null, string? endpoint = null) =>
        Inject(new FakeFailure(count, statusCode, message, Endpoint: endpoint));

    /// <summary>Answers the next requests with 429 and <c>Retry-After: &lt;seconds&gt;</c>.</summary>
    public void RateLimitNext(int count, TimeSpan retryAfter, string? endpoint = null) =>
        Inject(new FakeFailure(count, 429, RetryAfterSeconds: (int)Math.Ceiling(retryAfter.TotalSeconds), Endpoint: endpoint));

    /// <summary>Answers the next requests with 429 and <c>Retry-After: &lt;HTTP date&gt;</c>.</summary>
    public void RateLimitNextUntil(int count, DateTimeOffset retryAt, string? endpoint = null) =>
        Inject(new FakeFailure(count, 429, RetryAt: retryAt, Endpoint: endpoint));

    /// <summary>Answers every request with <paramref name="statusCode"/> until <see cref="ClearFailures"/> (a permanent error).</summary>
    public void FailAlways(int statusCode, string message, string? endpoint = null) =>
        Inject(new FakeFailure(int.MaxValue, statusCode, message, Endpoint: endpoint));

    /// <summary>Holds the next requests for <paramref name="delay"/> before answering normally (client timeouts).</summary>
    public void DelayNext(int count, TimeSpan delay, string? endpoint = null) =>
        Inject(new FakeFailure(count, 0, Delay: delay, Endpoint: endpoint));

    /// <summary>
    /// Processes the next requests normally but holds their answers for <paramref name="delay"/>: the effect happens
    /// (an email is sent, a page created) while the client times out or its process dies before it learns so.
    /// </summary>
    public void DelayResponseNext(int count, TimeSpan delay, string? endpoint = null) =>
        Inject(new FakeFailure(count, 0, Endpoint: endpoint, DelayResponse: delay));

    /// <summary>Answers the next requests with 200 and a body that is not valid JSON (the request is not processed).</summary>
    public void GarbleNext(int count, string? endpoint = null) =>
        Inject(new FakeFailure(count, 200, Endpoint: endpoint, Body: "{\"results\": [{\"id\": \"abc\", <html>Bad gateway</html>"));

    /// <summary>Adds an injected failure; rules apply in the order they were added.</summary>
    public void Inject(FakeFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        ArgumentOutOfRangeException.ThrowIfLessThan(failure.Count, 1);
        lock (_recordGate)
        {
            _failures.Add(new FailureState(failure));
        }
    }

    /// <summary>Removes all injected failures.</summary>
    public void ClearFailures()
    {
        lock (_recordGate)
        {
            _failures.Clear();
        }
    }

    /// <summary>Forgets the recorded requests (the fake's data stays).</summary>
    public void ClearRequests()
    {
        lock (_recordGate)
        {
            _requests.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Starts Kestrel on <c>http://127.0.0.1:0</c> and learns the port it got; or, with <paramref name="unixSocketPath"/>,
    /// on that Unix domain socket (then <see cref="Url"/> is <c>unix:&lt;path&gt;</c>).
    /// </summary>
    protected async Task StartServerAsync(CancellationToken cancellationToken, string? unixSocketPath = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = GetType().Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (unixSocketPath is null)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(unixSocketPath));
        }

        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.UseRouting();
        app.Use(RecordAndInjectAsync);
        MapRoutes(app);
        await app.StartAsync(cancellationToken);
        _app = app;
        _baseUrl = unixSocketPath is null ? new Uri(app.Urls.First()) : new Uri("unix:" + unixSocketPath);
    }

    /// <summary>Maps the service's routes (each with <c>WithName</c>, the endpoint name used in recordings).</summary>
    protected abstract void MapRoutes(WebApplication app);

    /// <summary>The service's JSON error body for a status and message, with the service's error code when given.</summary>
    protected abstract JsonObject ErrorBody(string endpoint, int statusCode, string message, string? code = null);

    /// <summary>A JSON answer with the exact bytes of <paramref name="body"/>.</summary>
    protected static IResult Json(JsonNode body, int statusCode = StatusCodes.Status200OK) =>
        Results.Text(body.ToJsonString(), "application/json; charset=utf-8", Encoding.UTF8, statusCode);

    /// <summary>The service's error answer.</summary>
    protected IResult Error(HttpContext context, int statusCode, string message, string? code = null) =>
        Json(ErrorBody(EndpointName(context), statusCode, message, code), statusCode);

    protected static string EndpointName(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? "unmatched";

    protected static string DefaultMessage(int statusCode) => statusCode switch
    {
        400 => "Bad request.",
        401 => "Unauthorized.",
        403 => "Forbidden.",
        404 => "Not found.",
        409 => "Conflict.",
        429 => "Rate limit exceeded.",
        500 => "Internal error.",
        502 => "Bad gateway.",
        503 => "Service unavailable.",
        504 => "Gateway timeout.",
        _ => $"Injected failure {statusCode}.",
    };

    private async Task RecordAndInjectAsync(HttpContext context, RequestDelegate next)
    {
        var endpoint = EndpointName(context);
        context.Request.EnableBuffering();
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        context.Request.Body.Position = 0;
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);

        FakeFailure? failure = null;
        RecordedRequest recorded;
        lock (_recordGate)
        {
            var state = _failures.FirstOrDefault(f => f.Remaining > 0 && (f.Rule.Endpoint is null || f.Rule.Endpoint == endpoint));
            if (state is not null)
            {
                failure = state.Rule;
                if (state.Remaining != int.MaxValue)
                {
                    state.Remaining--;
                }
            }

            var injected = failure is { StatusCode: > 0 } ? failure.StatusCode : (int?)null;
            recorded = new RecordedRequest(endpoint, context.Request.Method, context.Request.Path.Value ?? "/", context.Request.QueryString.Value ?? string.Empty, headers, body, injected);
            _requests.Add(recorded);
        }

        if (BeforeAnswer is { } hook)
        {
            await hook(recorded);
        }

        if (failure?.Delay is { } delay)
        {
            try
            {
                await Task.Delay(delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return; // the client gave up
            }
        }

        if (failure is { StatusCode: 0, DelayResponse: { } hold })
        {
            await ProcessThenHoldAsync(context, next, hold);
            return;
        }

        if (failure is not { StatusCode: > 0 })
        {
            await next(context);
            return;
        }

        if (failure.RetryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }
        else if (failure.RetryAt is { } at)
        {
            context.Response.Headers.RetryAfter = at.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture);
        }

        if (failure.Body is { } raw)
        {
            await Results.Text(raw, "application/json; charset=utf-8", Encoding.UTF8, failure.StatusCode).ExecuteAsync(context);
            return;
        }

        await Error(context, failure.StatusCode, failure.Message ?? DefaultMessage(failure.StatusCode), failure.Code).ExecuteAsync(context);
    }

    private static async Task ProcessThenHoldAsync(HttpContext context, RequestDelegate next, TimeSpan hold)
    {
        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }

        try
        {
            await Task.Delay(hold, context.RequestAborted);
            buffer.Position = 0;
            await buffer.CopyToAsync(original, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client gave up: the request took effect, its answer is lost.
        }
    }

    private sealed class FailureState(FakeFailure rule)
    {
        public FakeFailure Rule { get; } = rule;

        public int Remaining { get; set; } = rule.Count;
    }
}
