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

    public Task<string?> WhyUnavailableAsync(AgentState agent, CancellationToken cancellationToken) => WhyUnavailableAsync(agent.AgentId, cancellationToken);

    public async Task<string?> SendAsync(string agentId, Notification notification, string idempotencyKey, CancellationToken cancellationToken)
    {
        if (await WhyUnavailableAsync(agentId, cancellationToken) is { } why)
        {
            return why;
        }

        if (notification.Lines.All(l => l.Kind == NotificationKinds.Waiting))
        {
            return "The cards went to the Telegram chat with their buttons.";
        }

        var link = (await LinkAsync(agentId, cancellationToken))!;
        await TelegramOutbox.QueueAsync(client, "telegram-notice-" + idempotencyKey, new TelegramOutgoing(link.ChatId, notification.Text), cancellationToken);
        return null;
    }

    private async Task<string?> WhyUnavailableAsync(string agentId, CancellationToken cancellationToken) =>
        bot is not { IsConfigured: true } ? "The company has no Telegram bot (TELEGRAM_BOT_TOKEN)."
        : await LinkAsync(agentId, cancellationToken) is null ? "No Telegram account is linked: link one in the Telegram panel."
        : null;

    private async Task<TelegramLink?> LinkAsync(string agentId, CancellationToken cancellationToken) =>
        (await client.Entities.GetEntityAsync<TelegramState>(TelegramEntity.Id, cancellationToken))?.State?.LinkOfAgent(agentId);
}
