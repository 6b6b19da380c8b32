using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Chat;

namespace CompanyHub.Integrations.Llm;

/// <summary>The LLM through the OpenAI .NET SDK against any OpenAI-compatible endpoint. Retries are the orchestration's (durable), not the SDK's.</summary>
public sealed class OpenAiLlmClient : ILlmClient
{
    private readonly LlmOptions _options;
    private readonly ChatClient? _chat;

    public OpenAiLlmClient(IOptions<LlmOptions> options)
    {
        _options = options.Value;
        if (!string.IsNullOrWhiteSpace(_options.ApiKey))
        {
            _chat = new ChatClient(_options.Model, new ApiKeyCredential(_options.ApiKey), new OpenAIClientOptions
            {
                Endpoint = new Uri(_options.BaseUrl),
                NetworkTimeout = _options.Timeout,
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            });
        }
    }

    public bool IsConfigured => _chat is not null;

    public string Model => _options.Model;

    public async Task<LlmResponse> CompleteAsync(IReadOnlyList<LlmMessage> messages, IReadOnlyList<LlmTool> tools, CancellationToken cancellationToken)
    {
        if (_chat is null)
        {
            throw new LlmException("The LLM is not configured: set REDPILL_API_KEY (and LLM_BASE_URL / LLM_MODEL for another OpenAI-compatible provider).", null, isTransient: false);
        }

        var options = new ChatCompletionOptions();
        foreach (var tool in tools)
        {
            options.Tools.Add(ChatTool.CreateFunctionTool(tool.Name, tool.Description, BinaryData.FromString(tool.ParametersSchema)));
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        string? errorType = "other";
        int? status = null;
        ChatTokenUsage? usage = null;
        try
        {
            var result = await _chat.CompleteChatAsync(messages.Select(ToChatMessage), options, cancellationToken).ConfigureAwait(false);
            status = result.GetRawResponse().Status;
            var completion = result.Value;
            usage = completion.Usage;
            errorType = null;
            var text = string.Concat(completion.Content.Where(p => p.Kind == ChatMessageContentPartKind.Text).Select(p => p.Text));
            var calls = completion.ToolCalls.Select(c => new LlmToolCall(c.Id, c.FunctionName, c.FunctionArguments.ToString())).ToList();
            return new LlmResponse(text.Length == 0 ? null : text, calls, completion.FinishReason.ToString());
        }
        catch (ClientResultException ex)
        {
            status = ex.Status is 0 ? null : ex.Status;
            errorType = ex.Status is 0 ? "unreachable" : ex.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var transient = ex.Status is 0 or 408 or 409 or 429 or >= 500;
            throw new LlmException($"The LLM endpoint answered {ex.Status}: {Shorten(ex.Message)}", ex.Status, transient, ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            errorType = "timeout";
            throw new LlmException($"The LLM did not answer within {_options.Timeout.TotalSeconds:N0} s.", null, isTransient: true, ex);
        }
        catch (HttpRequestException ex)
        {
            errorType = "unreachable";
            throw new LlmException($"The LLM endpoint could not be reached: {ex.Message}", null, isTransient: true, ex);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            // A 200 whose body is not a chat completion (a proxy's error page, a cut-off answer): worth another try.
            errorType = "invalid_response";
            throw new LlmException("The LLM endpoint answered with a body that is not valid JSON for a chat completion.", null, isTransient: true, ex);
        }
        finally
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
                HubMetrics.LlmCall(_options.Model, elapsed, errorType, usage?.InputTokenCount, usage?.OutputTokenCount);
                HubMetrics.ServiceCall("llm", "chat.completions", elapsed, status, errorType is "timeout" or "unreachable" or "invalid_response" ? errorType : null);
            }
        }
    }

    private static ChatMessage ToChatMessage(LlmMessage m) => m.Role switch
    {
        "system" => new SystemChatMessage(m.Content ?? ""),
        "user" => new UserChatMessage(m.Content ?? ""),
        "tool" => new ToolChatMessage(m.ToolCallId ?? "", m.Content ?? ""),
        "assistant" when m.ToolCalls is { Count: > 0 } calls => new AssistantChatMessage(calls.Select(c => ChatToolCall.CreateFunctionToolCall(c.Id, c.Name, BinaryData.FromString(c.Arguments))).ToList()),
        "assistant" => new AssistantChatMessage(m.Content ?? ""),
        _ => throw new ArgumentException($"Unknown chat role '{m.Role}'.", nameof(m)),
    };

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
