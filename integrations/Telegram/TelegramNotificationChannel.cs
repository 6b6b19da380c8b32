using CompanyHub.Entities;
using CompanyHub.Orchestrations.Channels;
using CompanyHub.Orchestrations.Notifications;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Integrations.Telegram;

/// <summary>
/// The <c>telegram</c> notification channel: reminders and expiry notices go to the chat linked to the agent. A proposal
/// that starts waiting needs no notice there: its card already went to the chat with Approve / Edit / Reject buttons
/// (<see cref="Activities.OfferProposalOnTelegram"/>), so a batch of only such proposals sends nothing more.
/// </summary>
public sealed class TelegramNotificationChannel(DurableTaskClient client, ITelegramBotClient? bot = null) : INotificationChannel
{
    public const string ChannelName = "telegram";

    public string Name => ChannelName;

    public async Task<string?> WhyUnavailableAsync(AgentState agent, CancellationToken cancellationToken) =>
        (await ReachAsync(agent.AgentId, cancellationToken)).Why;

    public async Task<string?> SendAsync(string agentId, Notification notification, string idempotencyKey, CancellationToken cancellationToken)
    {
        var (link, why) = await ReachAsync(agentId, cancellationToken);
        if (link is null)
        {
            return why;
        }

        if (notification.Lines.All(l => l.Kind == NotificationKinds.Waiting))
        {
            return "The cards went to the Telegram chat with their buttons.";
        }

        await TelegramOutbox.QueueAsync(client, "telegram-notice-" + idempotencyKey, new TelegramOutgoing(link.ChatId, notification.Text), cancellationToken);
        return null;
    }

    /// <summary>The agent's linked chat (one read of the Telegram entity), or why the channel cannot reach its person.</summary>
    private async Task<(TelegramLink? Link, string? Why)> ReachAsync(string agentId, CancellationToken cancellationToken)
    {
        if (bot is not { IsConfigured: true })
        {
            return (null, "The company has no Telegram bot (TELEGRAM_BOT_TOKEN).");
        }

        return await LinkAsync(agentId, cancellationToken) is { } link ? (link, null) : (null, "No Telegram account is linked: link one in the Telegram panel.");
    }

    private async Task<TelegramLink?> LinkAsync(string agentId, CancellationToken cancellationToken) =>
        (await client.Entities.GetEntityAsync<TelegramState>(TelegramEntity.Id, cancellationToken))?.State?.LinkOfAgent(agentId);
}
