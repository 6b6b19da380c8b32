using CompanyHub.Integrations.Attio;
using CompanyHub.Integrations.Google;
using CompanyHub.Integrations.Google.Calendar;
using CompanyHub.Integrations.Google.Files;
using CompanyHub.Integrations.Google.Gmail;
using CompanyHub.Integrations.Notion;
using CompanyHub.Integrations.Telegram;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CompanyHub.Integrations;

/// <summary>Registers the typed clients of the outside services.</summary>
public static class IntegrationsServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="GoogleOptions"/>, <see cref="NotionOptions"/> and <see cref="AttioOptions"/> from the sections
    /// <c>Google</c>, <c>Notion</c> and <c>Attio</c> and from the deployment's flat names (<c>GOOGLE_CLIENT_ID</c>,
    /// <c>GOOGLE_CLIENT_SECRET</c>, <c>GOOGLE_CALENDAR</c>, <c>GOOGLE_DRIVE</c>, <c>GOOGLE_CONTACTS</c>, <c>NOTION_API_KEY</c>, <c>ATTIO_API_KEY</c>, which win), and
    /// registers <see cref="IGoogleOAuthClient"/>, <see cref="IGmailClient"/>, <see cref="ICalendarClient"/>, <see cref="IGoogleFilesClient"/>,
    /// <see cref="INotionClient"/>, <see cref="IAttioClient"/> and <see cref="ITelegramBotClient"/> as typed HttpClients. A missing credential does not
    /// fail start-up: that client's <c>IsConfigured</c> is false and its calls throw <see cref="ToolNotConfiguredException"/>.
    /// </summary>
    public static IServiceCollection AddIntegrations(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<GoogleOptions>().Configure(o => BindGoogle(configuration, o));
        services.AddOptions<NotionOptions>().Configure(o => BindNotion(configuration, o));
        services.AddOptions<AttioOptions>().Configure(o => BindAttio(configuration, o));
        services.AddOptions<TelegramOptions>().Configure(o => BindTelegram(configuration, o));

        services.AddHttpClient<IGoogleOAuthClient, GoogleOAuthClient>((sp, http) => http.Timeout = Google(sp).RequestTimeout);
        services.AddHttpClient<IGmailClient, GmailClient>((sp, http) => http.Timeout = Google(sp).RequestTimeout);
        services.AddHttpClient<ICalendarClient, CalendarClient>((sp, http) => http.Timeout = Google(sp).RequestTimeout);
        services.AddHttpClient<IGoogleFilesClient, GoogleFilesClient>((sp, http) => http.Timeout = Google(sp).RequestTimeout);
        services.AddHttpClient<INotionClient, NotionClient>((sp, http) =>
            http.Timeout = sp.GetRequiredService<IOptions<NotionOptions>>().Value.RequestTimeout);
        services.AddHttpClient<IAttioClient, AttioClient>((sp, http) =>
            http.Timeout = sp.GetRequiredService<IOptions<AttioOptions>>().Value.RequestTimeout);

        // The bot token is part of every Bot API URL: the factory's loggers, which print request URLs, are removed.
        services.AddHttpClient<ITelegramBotClient, TelegramBotClient>((sp, http) =>
        {
            var telegram = sp.GetRequiredService<IOptions<TelegramOptions>>().Value;
            http.Timeout = telegram.RequestTimeout + TimeSpan.FromSeconds(telegram.PollTimeoutSeconds);
        }).RemoveAllLoggers();
        return services;

        static GoogleOptions Google(IServiceProvider sp) => sp.GetRequiredService<IOptions<GoogleOptions>>().Value;
    }

    /// <summary>Fills <paramref name="options"/> from the <c>Google</c> section, then the flat <c>GOOGLE_*</c> names.</summary>
    public static void BindGoogle(IConfiguration configuration, GoogleOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        configuration.GetSection(GoogleOptions.SectionName).Bind(options);
        options.ClientId = Flat(configuration, "GOOGLE_CLIENT_ID") ?? options.ClientId;
        options.ClientSecret = Flat(configuration, "GOOGLE_CLIENT_SECRET") ?? options.ClientSecret;
        options.CalendarEnabled = Switch(configuration, "GOOGLE_CALENDAR") ?? options.CalendarEnabled;
        options.DriveEnabled = Switch(configuration, "GOOGLE_DRIVE") ?? options.DriveEnabled;
        options.ContactsEnabled = Switch(configuration, "GOOGLE_CONTACTS") ?? options.ContactsEnabled;
    }

    /// <summary>A flat on/off setting; null when not set.</summary>
    private static bool? Switch(IConfiguration configuration, string name) => Flat(configuration, name) is not { } value
        ? null
        : value.ToLowerInvariant() switch
        {
            "true" or "1" or "yes" or "on" or "enabled" => true,
            "false" or "0" or "no" or "off" or "disabled" => false,
            _ => throw new InvalidOperationException($"{name} must be true or false, not '{value}'."),
        };

    /// <summary>Fills <paramref name="options"/> from the <c>Notion</c> section, then <c>NOTION_API_KEY</c>.</summary>
    public static void BindNotion(IConfiguration configuration, NotionOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        configuration.GetSection(NotionOptions.SectionName).Bind(options);
        options.ApiKey = Flat(configuration, "NOTION_API_KEY") ?? options.ApiKey;
    }

    /// <summary>Fills <paramref name="options"/> from the <c>Attio</c> section, then <c>ATTIO_API_KEY</c>.</summary>
    public static void BindAttio(IConfiguration configuration, AttioOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        configuration.GetSection(AttioOptions.SectionName).Bind(options);
        options.ApiKey = Flat(configuration, "ATTIO_API_KEY") ?? options.ApiKey;
    }

    /// <summary>Fills <paramref name="options"/> from the <c>Telegram</c> section, then <c>TELEGRAM_BOT_TOKEN</c> and <c>TELEGRAM_API_BASE_URL</c>.</summary>
    public static void BindTelegram(IConfiguration configuration, TelegramOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        configuration.GetSection(TelegramOptions.SectionName).Bind(options);
        options.BotToken = Flat(configuration, "TELEGRAM_BOT_TOKEN") ?? options.BotToken;
        options.BaseUrl = Flat(configuration, "TELEGRAM_API_BASE_URL") ?? options.BaseUrl;
        if (!Uri.TryCreate(options.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidOperationException($"TELEGRAM_API_BASE_URL must be an absolute http(s) URL, not '{options.BaseUrl}'.");
        }
    }

    /// <summary>A flat setting; an empty value (as docker-compose passes for an unset <c>${X:-}</c>) counts as not set.</summary>
    private static string? Flat(IConfiguration configuration, string name) =>
        configuration[name] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
