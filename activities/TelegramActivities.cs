using CompanyHub.Entities;
using CompanyHub.Integrations;
using CompanyHub.Integrations.Telegram;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Orchestrations.Channels;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Activities;

/// <summary>One Bot API call: sends (or edits) one message of at most 4096 characters. Failures are answered, not thrown, so that the delivery decides on retries.</summary>
public sealed class SendTelegram(ITelegramBotClient bot) : TaskActivity<TelegramOutgoing, TelegramSendResult>
{
    public const string Name = nameof(SendTelegram);

    public override async Task<TelegramSendResult> RunAsync(TaskActivityContext context, TelegramOutgoing input)
    {
        try
        {
            if (input.EditMessageId is { } messageId)
            {
                await bot.EditMessageTextAsync(input.ChatId, messageId, input.Text, input.Buttons, context.CancellationToken());
                return new TelegramSendResult(true, messageId);
            }

            return new TelegramSendResult(true, await bot.SendMessageAsync(input.ChatId, input.Text, input.Buttons, context.CancellationToken()));
        }
        catch (IntegrationException ex)
        {
            return new TelegramSendResult(false, Transient: ex.IsTransient, RetryAfterSeconds: ex.RetryAfter?.TotalSeconds, Error: ex.Message);
        }
    }
}

/// <summary>The input of <see cref="QueueTelegram"/>: the delivery's instance id and its message.</summary>
public sealed record TelegramDelivery(string InstanceId, TelegramOutgoing Message);

/// <summary>Starts a message's delivery (once per instance id) from an orchestration, without waiting for Telegram.</summary>
public sealed class QueueTelegram(DurableTaskClient client) : TaskActivity<TelegramDelivery, string>
{
    public const string Name = nameof(QueueTelegram);

    public override Task<string> RunAsync(TaskActivityContext context, TelegramDelivery input) =>
        TelegramOutbox.QueueAsync(client, input.InstanceId, input.Message, context.CancellationToken());
}

/// <summary>
/// A proposal waits for a decision: when its agent has a linked Telegram chat, the card goes there with Approve / Edit /
/// Reject buttons for this revision. Returns whether it was queued (false: no bot, or no linked chat).
/// </summary>
public sealed class OfferProposalOnTelegram(DurableTaskClient client, ITelegramBotClient? bot = null) : TaskActivity<ProposalView, bool>
{
    public const string Name = nameof(OfferProposalOnTelegram);

    public override async Task<bool> RunAsync(TaskActivityContext context, ProposalView input)
    {
        if (bot is not { IsConfigured: true }
            || (await client.Entities.GetEntityAsync<TelegramState>(TelegramEntity.Id, context.CancellationToken()))?.State?.LinkOfAgent(input.AgentId) is not { } link)
        {
            return false;
        }

        var message = new TelegramOutgoing(link.ChatId, TelegramCards.Text(input), TelegramCards.Buttons(input.ProposalId, input.Revision));
        await TelegramOutbox.QueueAsync(client, TelegramCards.DeliveryId(input.ProposalId, input.Revision), message, context.CancellationToken());
        return true;
    }
}
