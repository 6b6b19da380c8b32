using CompanyHub.Integrations;
using CompanyHub.Integrations.Telegram;
using CompanyHub.Security;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CompanyHub.Functions;

/// <summary>
/// Connects the company bot at start-up. When the hub's public URL is https, Telegram is told to post updates to
/// <c>/api/channels/telegram/webhook</c> with the secret header (<c>setWebhook</c>); otherwise (a hub Telegram cannot
/// reach) the webhook is removed and updates are fetched by long polling (<c>getUpdates</c>) until the hub stops.
/// Nothing runs without <c>TELEGRAM_BOT_TOKEN</c>.
/// </summary>
public sealed class TelegramBotService(ITelegramBotClient bot, TelegramChannel channel, KeyRing keys, IOptions<HubOptions> hub, IOptions<TelegramOptions> options, ILogger<TelegramBotService> logger) : BackgroundService
{
    /// <summary>The webhook's path under the hub's public URL.</summary>
    public const string WebhookPath = "/api/channels/telegram/webhook";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!bot.IsConfigured)
        {
            return;
        }

        var useWebhook = hub.Value.IsHttps;
        for (var failures = 0; !stoppingToken.IsCancellationRequested; failures++)
        {
            try
            {
                await bot.SetWebhookAsync(useWebhook ? hub.Value.Link(WebhookPath) : "", useWebhook ? keys.TelegramWebhookSecret : null, stoppingToken);
                logger.LogInformation(useWebhook ? "Telegram: updates come to the webhook at {Url}" : "Telegram: no https public URL ({Url}); updates are fetched by long polling", useWebhook ? hub.Value.Link(WebhookPath) : hub.Value.PublicBaseUrl);
                break;
            }
            catch (IntegrationException ex)
            {
                logger.LogWarning("Telegram setWebhook failed: {Reason}", ex.Message);
                await WaitAsync(ex, failures + 1, stoppingToken);
            }
        }

        if (!useWebhook)
        {
            await PollAsync(stoppingToken);
        }
    }

    private async Task PollAsync(CancellationToken stoppingToken)
    {
        long offset = 0;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<TelegramUpdate> updates;
            try
            {
                updates = await bot.GetUpdatesAsync(offset, options.Value.PollTimeoutSeconds, stoppingToken);
                failures = 0;
            }
            catch (IntegrationException ex)
            {
                logger.LogWarning("Telegram getUpdates failed: {Reason}", ex.Message);
                await WaitAsync(ex, ++failures, stoppingToken);
                continue;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            foreach (var update in updates)
            {
                try
                {
                    await channel.HandleAsync(update, "telegram", stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One update that cannot be handled must not stop the others; it is not fetched again.
                    logger.LogError(ex, "Telegram update {UpdateId} could not be handled", update.UpdateId);
                }

                offset = Math.Max(offset, update.UpdateId + 1);
            }
        }
    }

    /// <summary>Waits as Telegram asked (a 429's <c>retry_after</c>), else 1, 2, 4, ... seconds up to a minute.</summary>
    private static async Task WaitAsync(IntegrationException failure, int attempt, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(Orchestrations.RetryDelays.After(attempt, failure.RetryAfter?.TotalSeconds), stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
