using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CompanyHub.Integrations.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CompanyHub.Integrations.Telegram;

/// <summary>The Bot API calls the hub makes with the company's bot.</summary>
public interface ITelegramBotClient
{
    /// <summary>Gets a value indicating whether the bot token is set.</summary>
    bool IsConfigured { get; }

    /// <summary><c>getMe</c>: the bot's id and username.</summary>
    Task<TelegramBot> GetMeAsync(CancellationToken cancellationToken = default);

    /// <summary><c>sendMessage</c> of one text (at most <see cref="TelegramText.MaxLength"/> characters), with inline buttons (one row) when given; returns the message id.</summary>
    Task<long> SendMessageAsync(long chatId, string text, IReadOnlyList<TelegramButton>? buttons = null, CancellationToken cancellationToken = default);

    /// <summary><c>editMessageText</c>: replaces a message's text and removes its buttons (or sets <paramref name="buttons"/>). An edit to the same text counts as done.</summary>
    Task EditMessageTextAsync(long chatId, long messageId, string text, IReadOnlyList<TelegramButton>? buttons = null, CancellationToken cancellationToken = default);

    /// <summary><c>answerCallbackQuery</c>: ends the button's spinner, with a short notice when <paramref name="text"/> is given.</summary>
    Task AnswerCallbackQueryAsync(string callbackQueryId, string? text = null, CancellationToken cancellationToken = default);

    /// <summary><c>getUpdates</c>: the updates after <paramref name="offset"/> - 1, waiting up to <paramref name="timeoutSeconds"/> for one (long polling).</summary>
    Task<IReadOnlyList<TelegramUpdate>> GetUpdatesAsync(long offset, int timeoutSeconds, CancellationToken cancellationToken = default);

    /// <summary><c>setWebhook</c>: Telegram posts updates to <paramref name="url"/> with the secret in a header; an empty url removes the webhook (so that <c>getUpdates</c> works).</summary>
    Task SetWebhookAsync(string url, string? secretToken, CancellationToken cancellationToken = default);
}

/// <summary>
/// The Bot API over plain HttpClient (<c>POST {base}/bot{token}/{method}</c> with a JSON body). The token is part of the
/// URL, so the HttpClient this client gets must not log URLs (its registration removes the factory's loggers), and no
/// message here names the URL. No retries here: a durable activity owns them, honouring a 429's <c>retry_after</c>
/// (<see cref="IntegrationException.RetryAfter"/>).
/// </summary>
public sealed class TelegramBotClient : ITelegramBotClient
{
    internal const string ServiceName = "Telegram";
    private readonly TelegramOptions _options;
    private readonly ServiceHttp _http;

    public TelegramBotClient(HttpClient http, IOptions<TelegramOptions> options, ILogger<TelegramBotClient> logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _http = new ServiceHttp(http, ServiceName, ServiceErrorParsers.Telegram, logger, time);
    }

    public bool IsConfigured => _options.IsConfigured;

    public async Task<TelegramBot> GetMeAsync(CancellationToken cancellationToken = default)
    {
        var me = await CallAsync("getMe", [], cancellationToken);
        return new TelegramBot(me.TryGetProperty("id", out var id) && id.TryGetInt64(out var n) ? n : 0, me.GetStringOrNull("username") ?? "");
    }

    public async Task<long> SendMessageAsync(long chatId, string text, IReadOnlyList<TelegramButton>? buttons = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["chat_id"] = chatId, ["text"] = CheckText(text) };
        if (buttons is { Count: > 0 })
        {
            body["reply_markup"] = Keyboard(buttons);
        }

        var sent = await CallAsync("sendMessage", body, cancellationToken);
        return sent.TryGetProperty("message_id", out var id) && id.TryGetInt64(out var n) ? n : 0;
    }

    public async Task EditMessageTextAsync(long chatId, long messageId, string text, IReadOnlyList<TelegramButton>? buttons = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["chat_id"] = chatId, ["message_id"] = messageId, ["text"] = CheckText(text), ["reply_markup"] = Keyboard(buttons ?? []) };
        try
        {
            await CallAsync("editMessageText", body, cancellationToken);
        }
        catch (IntegrationException ex) when (ex.ServiceMessage?.Contains("message is not modified", StringComparison.OrdinalIgnoreCase) == true)
        {
            // Already says this (a repeated edit): done.
        }
    }

    public async Task AnswerCallbackQueryAsync(string callbackQueryId, string? text = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["callback_query_id"] = callbackQueryId };
        if (!string.IsNullOrEmpty(text))
        {
            body["text"] = text.Length > 200 ? text[..199] + "…" : text;
        }

        await CallAsync("answerCallbackQuery", body, cancellationToken);
    }

    public async Task<IReadOnlyList<TelegramUpdate>> GetUpdatesAsync(long offset, int timeoutSeconds, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject
        {
            ["offset"] = offset,
            ["timeout"] = Math.Clamp(timeoutSeconds, 0, 50),
            ["allowed_updates"] = new JsonArray("message", "callback_query"),
        };
        var result = await CallAsync("getUpdates", body, cancellationToken);
        return result.ValueKind == JsonValueKind.Array ? result.EnumerateArray().Select(ParseUpdate).OfType<TelegramUpdate>().ToList() : [];
    }

    public async Task SetWebhookAsync(string url, string? secretToken, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["url"] = url };
        if (url.Length > 0)
        {
            body["secret_token"] = secretToken;
            body["allowed_updates"] = new JsonArray("message", "callback_query");
        }

        await CallAsync("setWebhook", body, cancellationToken);
    }

    /// <summary>Reads one update (from <c>getUpdates</c> or a webhook's body); null when it has no <c>update_id</c>.</summary>
    public static TelegramUpdate? ParseUpdate(JsonElement update)
    {
        if (update.ValueKind != JsonValueKind.Object || !update.TryGetProperty("update_id", out var idElement) || !idElement.TryGetInt64(out var updateId))
        {
            return null;
        }

        TelegramIncomingMessage? message = null;
        if (update.GetObjectOrNull("message") is { } m && m.GetObjectOrNull("chat") is { } chat && m.GetObjectOrNull("from") is { } from)
        {
            message = new TelegramIncomingMessage(Long(m, "message_id") ?? 0, Long(chat, "id") ?? 0, Long(from, "id") ?? 0, from.GetStringOrNull("username"), m.GetStringOrNull("text"));
        }

        TelegramCallbackQuery? callback = null;
        if (update.GetObjectOrNull("callback_query") is { } q && q.GetObjectOrNull("from") is { } presser && q.GetStringOrNull("id") is { } queryId)
        {
            var carrier = q.GetObjectOrNull("message");
            callback = new TelegramCallbackQuery(queryId, Long(presser, "id") ?? 0, q.GetStringOrNull("data"),
                carrier?.GetObjectOrNull("chat") is { } c ? Long(c, "id") : null, carrier is { } cm ? Long(cm, "message_id") : null);
        }

        return new TelegramUpdate(updateId, message, callback);
    }

    private static long? Long(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.TryGetInt64(out var n) ? n : null;

    private static string CheckText(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        if (text.Length > TelegramText.MaxLength)
        {
            throw new ArgumentException($"A Telegram message holds at most {TelegramText.MaxLength} characters; split it with TelegramText.Split.", nameof(text));
        }

        return text;
    }

    private static JsonObject Keyboard(IReadOnlyList<TelegramButton> buttons) => new()
    {
        ["inline_keyboard"] = buttons.Count == 0 ? new JsonArray() : new JsonArray(new JsonArray([.. buttons.Select(b => (JsonNode)new JsonObject { ["text"] = b.Text, ["callback_data"] = b.CallbackData })])),
    };

    /// <summary>Calls a method and returns its <c>result</c>; a <c>{"ok":false}</c> answer throws like an HTTP failure does.</summary>
    private async Task<JsonElement> CallAsync(string method, JsonObject body, CancellationToken cancellationToken)
    {
        if (!_options.IsConfigured)
        {
            throw new ToolNotConfiguredException(ServiceName, "Telegram is not configured: set TELEGRAM_BOT_TOKEN.");
        }

        var url = $"{_options.BaseUrl.TrimEnd('/')}/bot{_options.BotToken!.Trim()}/{method}";
        var answer = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Post, url, bearerToken: null, body), "telegram." + method, cancellationToken);
        if (!answer.GetBoolean("ok"))
        {
            var error = ServiceErrorParsers.Telegram(answer);
            throw new IntegrationException(ServiceName, $"{ServiceName} telegram.{method} failed: {error?.Message ?? "ok is false"}", serviceMessage: error?.Message, errorCode: error?.Code);
        }

        return answer.TryGetProperty("result", out var result) ? result : default;
    }

    /// <summary>The decimal text of a Telegram id, as the hub keys it.</summary>
    public static string Key(long id) => id.ToString(CultureInfo.InvariantCulture);
}
