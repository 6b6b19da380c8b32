using CompanyHub.Activities;
using CompanyHub.Integrations.Telegram;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Orchestrations.Channels;

/// <summary>
/// A message for a Telegram chat: a new one (split at the Bot API's 4096 characters, the buttons on its last part) or,
/// with <see cref="EditMessageId"/>, the new text of a message the bot sent before (its buttons replaced by <see cref="Buttons"/>, none by default).
/// </summary>
public sealed record TelegramOutgoing(long ChatId, string Text, IReadOnlyList<TelegramButton>? Buttons = null, long? EditMessageId = null);

/// <summary>What one Bot API call of <see cref="SendTelegram"/> did.</summary>
/// <param name="Sent">Whether Telegram took it.</param>
/// <param name="MessageId">The message sent (or edited).</param>
/// <param name="Transient">Whether trying again may work (429, 5xx, network).</param>
/// <param name="RetryAfterSeconds">The wait Telegram asked for (a 429's <c>parameters.retry_after</c>).</param>
/// <param name="Error">Why it failed.</param>
public sealed record TelegramSendResult(bool Sent, long MessageId = 0, bool Transient = false, double? RetryAfterSeconds = null, string? Error = null);

/// <summary>
/// Delivers one <see cref="TelegramOutgoing"/>: each part is one <see cref="SendTelegram"/> activity, tried again on a
/// transient failure after a durable timer that honours Telegram's <c>retry_after</c>. A part already sent is not sent
/// again. Started once per message under an id that names what it carries (<see cref="TelegramOutbox"/>).
/// </summary>
public sealed class TelegramDeliveryOrchestration : TaskOrchestrator<TelegramOutgoing, int>
{
    public const int MaxAttempts = 5;

    public override async Task<int> RunAsync(TaskOrchestrationContext context, TelegramOutgoing input)
    {
        var parts = input.EditMessageId is null
            ? TelegramText.Split(input.Text)
            : [input.Text.Length <= TelegramText.MaxLength ? input.Text : input.Text[..(TelegramText.MaxLength - 1)] + "…"];
        var sent = 0;
        for (var i = 0; i < parts.Count; i++)
        {
            var part = input with { Text = parts[i], Buttons = i == parts.Count - 1 ? input.Buttons : null };
            TelegramSendResult result = new(false, Error: "not attempted");
            for (var attempt = 1; attempt <= MaxAttempts; attempt++)
            {
                result = await context.CallActivityAsync<TelegramSendResult>(SendTelegram.Name, part);
                if (result.Sent || !result.Transient || attempt == MaxAttempts)
                {
                    break;
                }

                await context.CreateTimer(RetryDelays.After(attempt, result.RetryAfterSeconds), CancellationToken.None);
            }

            if (!result.Sent)
            {
                // The rest would make no sense without this part; the person still has the dashboard.
                context.SetCustomStatus(new { failed = result.Error, part = i + 1 });
                return sent;
            }

            sent++;
        }

        return sent;
    }
}

/// <summary>Queues Telegram messages: each becomes one <see cref="TelegramDeliveryOrchestration"/>, started once per id.</summary>
public static class TelegramOutbox
{
    /// <summary>Starts the delivery of <paramref name="message"/> as <paramref name="instanceId"/> unless it was started before.</summary>
    public static Task<string> QueueAsync(DurableTaskClient client, string instanceId, TelegramOutgoing message, CancellationToken cancellationToken) =>
        client.StartOnceAsync(nameof(TelegramDeliveryOrchestration), message, instanceId, restartIfFinished: false, cancellationToken);
}
