using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CompanyHub.Fakes.OpenAi;

/// <summary>
/// An OpenAI-compatible chat completions server on 127.0.0.1 (real HTTP, real JSON shapes) whose answers a test
/// scripts: text replies, tool calls, HTTP errors (with Retry-After), malformed answers and delays. Records every request.
/// </summary>
public sealed class FakeOpenAi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<JsonObject, Reply>> _script = new();

    private FakeOpenAi(WebApplication app)
    {
        _app = app;
    }

    public string BaseUrl { get; private set; } = "";

    public ConcurrentQueue<JsonObject> Requests { get; } = new();

    /// <summary>Gets or sets the answer when the script is empty.</summary>
    public Func<JsonObject, Reply> Default { get; set; } = _ => Reply.Text("(default fake reply)");

    public static async Task<FakeOpenAi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeOpenAi(app);
        app.MapPost("/v1/chat/completions", fake.HandleAsync);
        await app.StartAsync();
        fake.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v1";
        return fake;
    }

    public FakeOpenAi Then(Reply reply) => Then(_ => reply);

    /// <summary>Drops scripted answers not used yet (a test sharing the fake starts from <see cref="Default"/>).</summary>
    public void ClearScript() => _script.Clear();

    public FakeOpenAi Then(Func<JsonObject, Reply> reply)
    {
        _script.Enqueue(reply);
        return this;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext http)
    {
        if (http.Request.Headers.Authorization.ToString() != "Bearer test-llm-key")
        {
            http.Response.StatusCode = 401;
            await http.Response.WriteAsJsonAsync(new { error = new { message = "Incorrect API key provided", type = "invalid_request_error" } });
            return;
        }

        var request = (JsonObject)(await JsonNode.ParseAsync(http.Request.Body))!;
        Requests.Enqueue(request);
        var reply = (_script.TryDequeue(out var next) ? next : Default)(request);
        if (reply.Delay is { } delay)
        {
            await Task.Delay(delay, http.RequestAborted);
        }

        if (reply.RetryAfterSeconds is { } retryAfter)
        {
            http.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (reply.Raw is { } raw)
        {
            http.Response.StatusCode = reply.Status;
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(raw);
            return;
        }

        if (reply.Status != 200)
        {
            http.Response.StatusCode = reply.Status;
            await http.Response.WriteAsJsonAsync(new { error = new { message = reply.Content ?? "server error", type = "server_error" } });
            return;
        }

        var message = new JsonObject { ["role"] = "assistant", ["content"] = reply.Content };
        if (reply.ToolCalls is { Count: > 0 } calls)
        {
            message["tool_calls"] = new JsonArray([.. calls.Select((c, i) => (JsonNode)new JsonObject
            {
                ["id"] = $"call_{Guid.NewGuid():N}",
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.Arguments.ToJsonString() },
            })]);
        }

        var body = new JsonObject
        {
            ["id"] = $"chatcmpl-{Guid.NewGuid():N}",
            ["object"] = "chat.completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = request["model"]?.GetValue<string>(),
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = message,
                ["finish_reason"] = reply.ToolCalls is { Count: > 0 } ? "tool_calls" : "stop",
            }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 5, ["total_tokens"] = 15 },
        };
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString());
    }

    public sealed record ToolCall(string Name, JsonObject Arguments);

    public sealed record Reply(string? Content, IReadOnlyList<ToolCall>? ToolCalls = null, int Status = 200, TimeSpan? Delay = null, string? Raw = null, int? RetryAfterSeconds = null)
    {
        /// <summary>An answer whose body is exactly <paramref name="body"/> (malformed JSON, a truncated answer, ...).</summary>
        public static Reply Garbled(string body, int status = 200) => new(null, Status: status, Raw: body);

        public static Reply RateLimited(int retryAfterSeconds) => new("Rate limit reached for requests", null, 429, RetryAfterSeconds: retryAfterSeconds);

        public static Reply Text(string text) => new(text);

        public static Reply Call(string name, JsonObject arguments) => new(null, [new ToolCall(name, arguments)]);

        public static Reply Error(int status, string message = "upstream failure") => new(message, null, status);
    }
}
