namespace CompanyHub.Integrations.Telegram;

/// <summary>The parts of a Bot API <c>Update</c> the hub reads: a text message or an inline button's callback query.</summary>
public sealed record TelegramUpdate(long UpdateId, TelegramIncomingMessage? Message, TelegramCallbackQuery? CallbackQuery);

/// <summary>A message someone sent the bot: who (<see cref="FromId"/>), in which chat, and its text (null for a photo, a sticker, ...).</summary>
public sealed record TelegramIncomingMessage(long MessageId, long ChatId, long FromId, string? Username, string? Text);

/// <summary>A press of an inline button: its <see cref="Data"/>, who pressed it, and the message that carries the button.</summary>
public sealed record TelegramCallbackQuery(string Id, long FromId, string? Data, long? ChatId, long? MessageId);

/// <summary>An inline keyboard button: its label and the <c>callback_data</c> (at most 64 bytes) Telegram sends back when pressed.</summary>
public sealed record TelegramButton(string Text, string CallbackData);

/// <summary>The bot itself (<c>getMe</c>): its id and its username, which deep links (<c>t.me/&lt;username&gt;</c>) name.</summary>
public sealed record TelegramBot(long Id, string Username);
