using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CompanyHub.Fakes.Telegram;

/// <summary>A message the fake bot sent (or edited): the chat, its id, its text now, and its inline buttons (label, callback data).</summary>
public sealed record FakeTelegramMessage(long ChatId, long MessageId, string Text, IReadOnlyList<(string Text, string Data)> Buttons);

/// <summary>An <c>answerCallbackQuery</c> the fake received.</summary>
public sealed record FakeCallbackAnswer(string CallbackQueryId, string? Text);

/// <summary>
/// A fake of the Telegram Bot API (<c>POST /bot{token}/{method}</c>): checks the token, records <c>sendMessage</c>,
/// <c>editMessageText</c>, <c>answerCallbackQuery</c> and <c>setWebhook</c>, answers <c>getMe</c>, and serves queued
/// updates to <c>getUpdates</c> (holding a long poll until one arrives). It also builds the updates a test posts to the
/// hub's webhook. Errors come in the Bot API's shape, <c>{"ok":false,"error_code":…,"description":…}</c>.
/// </summary>
public sealed class FakeTelegram : FakeServer
{
    public const string BotUsername = "company_hub_bot";
    private readonly Lock _gate = new();
    private readonly List<FakeTelegramMessage> _sent = [];
    private readonly List<FakeTelegramMessage> _edits = [];
    private readonly List<FakeCallbackAnswer> _answers = [];
    private readonly List<JsonObject> _queued = [];
    private readonly SemaphoreSlim _arrived = new(0);
    private long _nextUpdateId = 700_000;
    private long _nextMessageId = 1;

    private FakeTelegram()
    {
    }

    /// <summary>Gets or sets the bot token the fake accepts.</summary>
    public string Token { get; set; } = "123456:fake-bot-token-" + Guid.NewGuid().ToString("N");

    /// <summary>Gets the URL and secret of the last <c>setWebhook</c> (an empty URL removes the webhook).</summary>
    public (string Url, string? Secret)? Webhook { get; private set; }

    public IReadOnlyList<FakeTelegramMessage> Sent
    {
        get
        {
            lock (_gate)
            {
                return [.. _sent];
            }
        }
    }

    public IReadOnlyList<FakeTelegramMessage> Edits
    {
        get
        {
            lock (_gate)
            {
                return [.. _edits];
            }
        }
    }

    public IReadOnlyList<FakeCallbackAnswer> CallbackAnswers
    {
        get
        {
            lock (_gate)
            {
                return [.. _answers];
            }
        }
    }

    /// <summary>The messages sent to one chat, oldest first.</summary>
    public IReadOnlyList<FakeTelegramMessage> SentTo(long chatId) => Sent.Where(m => m.ChatId == chatId).ToList();

    public static async Task<FakeTelegram> StartAsync(CancellationToken cancellationToken = default)
    {
        var fake = new FakeTelegram();
        await fake.StartServerAsync(cancellationToken);
        return fake;
    }

    /// <summary>The settings that point the hub at this fake.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ConfigurationValues() =>
    [
        new("TELEGRAM_BOT_TOKEN", Token),
        new("TELEGRAM_API_BASE_URL", Url),
    ];

    /// <summary>An update with a private text message from <paramref name="userId"/> (its chat id is the user id, as in a private chat).</summary>
    public JsonObject TextUpdate(long userId, string text, string? username = null) => new()
    {
        ["update_id"] = Interlocked.Increment(ref _nextUpdateId),
        ["message"] = new JsonObject
        {
            ["message_id"] = Interlocked.Increment(ref _nextMessageId),
            ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["chat"] = new JsonObject { ["id"] = userId, ["type"] = "private" },
            ["from"] = new JsonObject { ["id"] = userId, ["is_bot"] = false, ["first_name"] = "Test", ["username"] = username ?? $"user{userId}" },
            ["text"] = text,
        },
    };

    /// <summary>An update with a press of the button <paramref name="data"/> on <paramref name="message"/> by <paramref name="userId"/>.</summary>
    public JsonObject ButtonUpdate(long userId, FakeTelegramMessage message, string data) => new()
    {
        ["update_id"] = Interlocked.Increment(ref _nextUpdateId),
        ["callback_query"] = new JsonObject
        {
            ["id"] = "cb-" + Guid.NewGuid().ToString("N")[..12],
            ["from"] = new JsonObject { ["id"] = userId, ["is_bot"] = false, ["first_name"] = "Test" },
            ["message"] = new JsonObject { ["message_id"] = message.MessageId, ["chat"] = new JsonObject { ["id"] = message.ChatId, ["type"] = "private" }, ["text"] = message.Text },
            ["data"] = data,
        },
    };

    /// <summary>Queues an update for <c>getUpdates</c>.</summary>
    public void Enqueue(JsonObject update)
    {
        lock (_gate)
        {
            _queued.Add(update);
        }

        _arrived.Release();
    }

    /// <summary>Answers the next <paramref name="count"/> calls of <paramref name="method"/> with a 429 whose body asks to wait <paramref name="retryAfterSeconds"/> (as Telegram does: no header).</summary>
    public void RateLimitNextInBody(int count, int retryAfterSeconds, string method) =>
        Inject(new FakeFailure(count, 429, Endpoint: method, Body: new JsonObject
        {
            ["ok"] = false,
            ["error_code"] = 429,
            ["description"] = $"Too Many Requests: retry after {retryAfterSeconds}",
            ["parameters"] = new JsonObject { ["retry_after"] = retryAfterSeconds },
        }.ToJsonString()));

    protected override void MapRoutes(WebApplication app)
    {
        app.MapPost("/{bot}/getMe", (HttpContext c, string bot) => Call(c, bot, _ => Ok(new JsonObject { ["id"] = 123456, ["is_bot"] = true, ["first_name"] = "Company Hub", ["username"] = BotUsername }))).WithName("getMe");
        app.MapPost("/{bot}/sendMessage", (HttpContext c, string bot) => Call(c, bot, SendMessage)).WithName("sendMessage");
        app.MapPost("/{bot}/editMessageText", (HttpContext c, string bot) => Call(c, bot, EditMessage)).WithName("editMessageText");
        app.MapPost("/{bot}/answerCallbackQuery", (HttpContext c, string bot) => Call(c, bot, AnswerCallback)).WithName("answerCallbackQuery");
        app.MapPost("/{bot}/setWebhook", (HttpContext c, string bot) => Call(c, bot, SetWebhook)).WithName("setWebhook");
        app.MapPost("/{bot}/getUpdates", (HttpContext c, string bot) => CallAsync(c, bot, GetUpdatesAsync)).WithName("getUpdates");
    }

    protected override JsonObject ErrorBody(string endpoint, int statusCode, string message, string? code = null) =>
        new() { ["ok"] = false, ["error_code"] = statusCode, ["description"] = message };

    private static IResult Ok(JsonNode result) => Json(new JsonObject { ["ok"] = true, ["result"] = result });

    private Task<IResult> Call(HttpContext context, string bot, Func<JsonObject, IResult> handle) =>
        CallAsync(context, bot, body => Task.FromResult(handle(body)));

    /// <summary>Checks the path's <c>bot{token}</c> segment (a parameter of its own: a route "bot{token}" would match the last "bot" in a token), then handles the JSON body.</summary>
    private async Task<IResult> CallAsync(HttpContext context, string bot, Func<JsonObject, Task<IResult>> handle)
    {
        if (bot != "bot" + Token)
        {
            return Error(context, 401, "Unauthorized");
        }

        JsonObject body;
        try
        {
            using var reader = new StreamReader(context.Request.Body);
            body = JsonNode.Parse(await reader.ReadToEndAsync(context.RequestAborted)) as JsonObject ?? [];
        }
        catch (System.Text.Json.JsonException)
        {
            return Error(context, 400, "Bad Request: can't parse JSON");
        }

        return await handle(body);
    }

    private IResult SendMessage(JsonObject body)
    {
        var text = body["text"]?.GetValue<string>() ?? "";
        if (text.Length is 0 or > 4096)
        {
            return Json(ErrorBody("sendMessage", 400, text.Length == 0 ? "Bad Request: message text is empty" : "Bad Request: message is too long"), 400);
        }

        var chatId = body["chat_id"]!.GetValue<long>();
        var message = new FakeTelegramMessage(chatId, Interlocked.Increment(ref _nextMessageId), text, Buttons(body));
        lock (_gate)
        {
            _sent.Add(message);
        }

        return Ok(new JsonObject { ["message_id"] = message.MessageId, ["chat"] = new JsonObject { ["id"] = chatId }, ["text"] = text });
    }

    private IResult EditMessage(JsonObject body)
    {
        var message = new FakeTelegramMessage(body["chat_id"]!.GetValue<long>(), body["message_id"]!.GetValue<long>(), body["text"]?.GetValue<string>() ?? "", Buttons(body));
        lock (_gate)
        {
            _edits.Add(message);
        }

        return Ok(new JsonObject { ["message_id"] = message.MessageId, ["text"] = message.Text });
    }

    private IResult AnswerCallback(JsonObject body)
    {
        lock (_gate)
        {
            _answers.Add(new FakeCallbackAnswer(body["callback_query_id"]!.GetValue<string>(), body["text"]?.GetValue<string>()));
        }

        return Ok(true);
    }

    private IResult SetWebhook(JsonObject body)
    {
        Webhook = (body["url"]?.GetValue<string>() ?? "", body["secret_token"]?.GetValue<string>());
        return Ok(true);
    }

    /// <summary>The queued updates from <c>offset</c> on (older ones are confirmed and dropped), waiting up to the poll's timeout (at most 5 s) for one.</summary>
    private async Task<IResult> GetUpdatesAsync(JsonObject body)
    {
        var offset = body["offset"]?.GetValue<long>() ?? 0;
        var wait = TimeSpan.FromSeconds(Math.Min(5, body["timeout"]?.GetValue<int>() ?? 0));
        var until = DateTimeOffset.UtcNow + wait;
        while (true)
        {
            lock (_gate)
            {
                _queued.RemoveAll(u => u["update_id"]!.GetValue<long>() < offset);
                if (_queued.Count > 0)
                {
                    return Ok(new JsonArray([.. _queued.Select(u => (JsonNode)u.DeepClone())]));
                }
            }

            var left = until - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
            {
                return Ok(new JsonArray());
            }
        }
    }

    private static IReadOnlyList<(string Text, string Data)> Buttons(JsonObject body) =>
        body["reply_markup"]?["inline_keyboard"] is JsonArray rows
            ? rows.OfType<JsonArray>().SelectMany(r => r.OfType<JsonObject>()).Select(b => (b["text"]!.GetValue<string>(), b["callback_data"]!.GetValue<string>())).ToList()
            : [];
}
