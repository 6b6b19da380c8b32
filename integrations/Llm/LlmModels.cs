namespace CompanyHub.Integrations.Llm;

/// <summary>A tool call the model asked for: a function name and its JSON arguments.</summary>
public sealed record LlmToolCall(string Id, string Name, string Arguments);

/// <summary>One chat message as the turn orchestration records it (durable, provider-neutral).</summary>
/// <param name="Role">system, user, assistant or tool.</param>
/// <param name="Content">The text, when there is one.</param>
/// <param name="ToolCalls">For assistant messages: the tools the model called.</param>
/// <param name="ToolCallId">For tool messages: which call this answers.</param>
public sealed record LlmMessage(string Role, string? Content, IReadOnlyList<LlmToolCall>? ToolCalls = null, string? ToolCallId = null)
{
    public static LlmMessage System(string text) => new("system", text);

    public static LlmMessage User(string text) => new("user", text);

    public static LlmMessage Assistant(string? text, IReadOnlyList<LlmToolCall>? calls = null) => new("assistant", text, calls);

    public static LlmMessage Tool(string callId, string text) => new("tool", text, null, callId);
}

/// <summary>A tool the model may call: name, precise description, JSON schema of its parameters.</summary>
public sealed record LlmTool(string Name, string Description, string ParametersSchema);

/// <summary>What the model answered.</summary>
public sealed record LlmResponse(string? Content, IReadOnlyList<LlmToolCall> ToolCalls, string? FinishReason);

/// <summary>A chat completion endpoint (OpenAI-compatible).</summary>
public interface ILlmClient
{
    bool IsConfigured { get; }

    string Model { get; }

    Task<LlmResponse> CompleteAsync(IReadOnlyList<LlmMessage> messages, IReadOnlyList<LlmTool> tools, CancellationToken cancellationToken);
}

/// <summary>The model endpoint failed. <see cref="IsTransient"/> for timeouts, 429 and 5xx.</summary>
public sealed class LlmException(string message, int? status, bool isTransient, Exception? inner = null) : Exception(message, inner)
{
    public int? Status { get; } = status;

    public bool IsTransient { get; } = isTransient;
}

/// <summary>Settings of the LLM endpoint. Environment: REDPILL_API_KEY (or LLM_API_KEY), LLM_BASE_URL, LLM_MODEL, LLM_TIMEOUT_SECONDS.</summary>
public sealed class LlmOptions
{
    /// <summary>Gets or sets the API key. No key: chat answers "LLM not configured"; everything else works.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the base URL including <c>/v1</c>. Default is Redpill's, <c>https://api.redpill.ai/v1</c>.</summary>
    public string BaseUrl { get; set; } = "https://api.redpill.ai/v1";

    /// <summary>Gets or sets the model. Default is <c>moonshotai/kimi-k2.5</c>.</summary>
    public string Model { get; set; } = "moonshotai/kimi-k2.5";

    /// <summary>Gets or sets how long one completion may take. Default is 120 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(120);
}
