using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CompanyHub.Browser.Tests.Infrastructure;

/// <summary>
/// The LLM, faked: an OpenAI-compatible chat completions endpoint on 127.0.0.1 (the hub reaches it through
/// LLM_BASE_URL), with fixed rules so that the browser sees a real turn. It thinks for <see cref="ThinkingTime"/>
/// before answering (the page shows "working…"); asked to "ask the orchestrator", it calls the sessions_send tool,
/// which makes a proposal; after a tool result it says the proposal waits for approval; a message starting "Remember
/// that " calls the remember tool with the rest.
/// </summary>
public sealed class FakeModel : IAsyncDisposable
{
    public const string AskOrchestrator = "ask the orchestrator";
    public const string PeerRequest = "Could you book the big room for Friday?";
    public const string Greeting = "Hello from the fake model.";
    public const string AfterProposal = "I have drafted that; it waits for your approval.";
    public const string RememberThat = "Remember that ";
    public const string Noted = "Noted: I will remember that.";
    public static readonly TimeSpan ThinkingTime = TimeSpan.FromSeconds(1.5);

    private readonly WebApplication _app;

    private FakeModel(WebApplication app) => _app = app;

    /// <summary>Gets the base URL the hub's OpenAI client uses (ends with /v1).</summary>
    public string BaseUrl { get; private set; } = "";

    public static async Task<FakeModel> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", HandleAsync);
        await app.StartAsync();
        var model = new FakeModel(app)
        {
            BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v1",
        };
        return model;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task HandleAsync(HttpContext http)
    {
        var request = (JsonObject)(await JsonNode.ParseAsync(http.Request.Body))!;
        var last = request["messages"]!.AsArray()[^1]!;
        var role = last["role"]?.GetValue<string>();
        var content = last["content"] switch
        {
            JsonValue v => v.GetValue<string>(),
            JsonArray parts => string.Concat(parts.Select(p => p?["text"]?.GetValue<string>())),
            _ => "",
        };

        await Task.Delay(ThinkingTime, http.RequestAborted);
        var message = new JsonObject { ["role"] = "assistant" };
        var finish = "stop";
        if (role == "tool")
        {
            message["content"] = content.StartsWith("Remembered", StringComparison.Ordinal) ? Noted : AfterProposal;
        }
        else if (content.StartsWith(RememberThat, StringComparison.Ordinal))
        {
            message["content"] = null;
            message["tool_calls"] = new JsonArray(new JsonObject
            {
                ["id"] = $"call_{Guid.NewGuid():N}",
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = "remember", ["arguments"] = new JsonObject { ["fact"] = content[RememberThat.Length..] }.ToJsonString() },
            });
            finish = "tool_calls";
        }
        else if (content.Contains(AskOrchestrator, StringComparison.OrdinalIgnoreCase))
        {
            message["content"] = null;
            message["tool_calls"] = new JsonArray(new JsonObject
            {
                ["id"] = $"call_{Guid.NewGuid():N}",
                ["type"] = "function",
                ["function"] = new JsonObject
                {
                    ["name"] = "sessions_send",
                    ["arguments"] = new JsonObject { ["agentId"] = "orchestrator", ["message"] = PeerRequest }.ToJsonString(),
                },
            });
            finish = "tool_calls";
        }
        else
        {
            message["content"] = $"{Greeting} You said: {content[..Math.Min(content.Length, 80)]}";
        }

        var body = new JsonObject
        {
            ["id"] = $"chatcmpl-{Guid.NewGuid():N}",
            ["object"] = "chat.completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = request["model"]?.GetValue<string>(),
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 5, ["total_tokens"] = 15 },
        };
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString());
    }
}
