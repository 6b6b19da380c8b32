namespace CompanyHub.Integrations.Telegram;

/// <summary>
/// The company's Telegram bot. Bound from the <c>Telegram</c> configuration section; <c>TELEGRAM_BOT_TOKEN</c> and
/// <c>TELEGRAM_API_BASE_URL</c> win when set. Without a token the Telegram channel is off.
/// </summary>
public sealed class TelegramOptions
{
    /// <summary>The configuration section bound onto these options.</summary>
    public const string SectionName = "Telegram";

    /// <summary>Gets or sets the bot token BotFather gave (<c>TELEGRAM_BOT_TOKEN</c>): a secret, never logged or returned.</summary>
    public string? BotToken { get; set; }

    /// <summary>Gets or sets the Bot API root (<c>TELEGRAM_API_BASE_URL</c>). Default is <c>https://api.telegram.org</c>.</summary>
    public string BaseUrl { get; set; } = "https://api.telegram.org";

    /// <summary>Gets or sets how long one call may take before it fails as transient (long polls add their own wait). Default is 30 seconds.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how long one <c>getUpdates</c> long poll waits for an update (Telegram allows up to 50). Default is 25 seconds.</summary>
    public int PollTimeoutSeconds { get; set; } = 25;

    /// <summary>Gets a value indicating whether the bot token is set.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(BotToken);
}
