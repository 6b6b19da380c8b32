using System.Security.Cryptography;
using System.Text;
using CompanyHub.Entities;
using CompanyHub.Integrations;
using CompanyHub.Integrations.Telegram;
using CompanyHub.Orchestrations;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Orchestrations.Channels;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CompanyHub.Functions;

/// <summary>
/// What the company bot does with an update, from the webhook or from long polling alike: each update id once; a
/// linked person's text goes to their agent as dashboard chat does, their buttons decide as the dashboard's do; a
/// stranger gets a polite refusal and nothing else. Answers go out as durable deliveries (<see cref="TelegramOutbox"/>),
/// except <c>answerCallbackQuery</c>, which Telegram wants at once.
/// </summary>
public sealed class TelegramChannel(DurableTaskClient client, ITelegramBotClient bot, AgentChat chat, PersonLimits limits, IAuditLog audit, IOptions<ApprovalOptions> approvals, ILogger<TelegramChannel> logger)
{
    /// <summary>How long a linking code works.</summary>
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(15);

    /// <summary>The answer to anyone who has not linked this Telegram account to an agent.</summary>
    public const string Refusal = "Sorry, I only talk to people who linked their Company Hub agent. Open your dashboard, choose \"Link Telegram\", and follow the link it shows.";

    /// <summary>The SHA-256 (hex) of a linking code: all the hub keeps of it.</summary>
    public static string HashCode(string code) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(code)));

    /// <summary>Handles one update; a replayed update id does nothing.</summary>
    public async Task HandleAsync(TelegramUpdate update, string address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.Message is null && update.CallbackQuery is null)
        {
            return;
        }

        if (!await EntityCalls.CallAsync<bool>(client, TelegramEntity.Id, nameof(TelegramEntity.Accept), update.UpdateId, cancellationToken))
        {
            logger.LogInformation("Telegram update {UpdateId} was handled before; ignored", update.UpdateId);
            return;
        }

        var state = (await client.Entities.GetEntityAsync<TelegramState>(TelegramEntity.Id, cancellation: cancellationToken))?.State ?? new TelegramState();
        if (update.CallbackQuery is { } query)
        {
            await OnButtonAsync(update.UpdateId, query, state.LinkOf(query.FromId), cancellationToken);
        }
        else if (update.Message is { } message)
        {
            await OnMessageAsync(update.UpdateId, message, state.LinkOf(message.FromId), address, cancellationToken);
        }
    }

    private async Task OnMessageAsync(long updateId, TelegramIncomingMessage message, TelegramLink? link, string address, CancellationToken cancellationToken)
    {
        var text = message.Text?.Trim() ?? "";
        var reply = new Replies(client, message.ChatId, updateId);
        if (Command(text, "/start") is { } code)
        {
            await LinkAsync(message, code, link, reply, address, cancellationToken);
            return;
        }

        if (link is null)
        {
            await reply.SendAsync(Refusal, cancellationToken);
            return;
        }

        if (Command(text, "/unlink") is not null)
        {
            if (await EntityCalls.CallAsync<TelegramLink?>(client, TelegramEntity.Id, nameof(TelegramEntity.Unlink), message.FromId, cancellationToken) is { } removed)
            {
                await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, $"user:{removed.AgentId}", "telegram.unlinked", removed.AgentId, $"telegram:{removed.UserId}", "unlinked from Telegram with /unlink", address, "ok"), cancellationToken);
            }

            await reply.SendAsync("Unlinked. This Telegram account no longer reaches your agent; link it again from your dashboard.", cancellationToken);
            return;
        }

        var caller = Caller.User(link.AgentId);
        var (agent, problem) = await AgentAccess.LoadActiveAsync(client, caller, link.AgentId, cancellationToken);
        if (agent is null)
        {
            await reply.SendAsync(Problems.DetailOf(problem!) ?? "Your agent is not available.", cancellationToken);
            return;
        }

        if (!MessageFunctions.IsValidText(message.Text, out var invalid))
        {
            await reply.SendAsync(message.Text is null ? "I read text messages only." : Problems.DetailOf(invalid) ?? "That message cannot be sent.", cancellationToken);
            return;
        }

        if (await EntityCalls.CallAsync<TelegramPendingEdit?>(client, TelegramEntity.Id, nameof(TelegramEntity.TakeEdit), message.FromId, cancellationToken) is { } edit)
        {
            await EditAsync(caller, edit, message.Text, reply, cancellationToken);
            return;
        }

        var outcome = await chat.SendAsync(client, caller, agent, message.Text, new DefaultHttpContext().Response, cancellationToken, telegramChatId: message.ChatId);

        // A turn answers by itself when it ends; a decision word or a refusal is answered now.
        if ((outcome.Said ?? Problems.DetailOf(outcome.Result)) is { } said)
        {
            await reply.SendAsync(said, cancellationToken);
        }
    }

    private async Task LinkAsync(TelegramIncomingMessage message, string code, TelegramLink? link, Replies reply, string address, CancellationToken cancellationToken)
    {
        if (code.Length == 0)
        {
            await reply.SendAsync(link is null ? Refusal : "This Telegram account is linked to your agent: write to it here. /unlink ends the link.", cancellationToken);
            return;
        }

        var outcome = await EntityCalls.CallAsync<TelegramLinkOutcome>(client, TelegramEntity.Id, nameof(TelegramEntity.Link),
            new TelegramLinkRequest(HashCode(code), message.FromId, message.ChatId, message.Username, DateTimeOffset.UtcNow), cancellationToken);
        if (outcome?.Link is not { } linked)
        {
            await reply.SendAsync(outcome?.Refusal ?? Refusal, cancellationToken);
            return;
        }

        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, $"user:{linked.AgentId}", "telegram.linked", linked.AgentId, $"telegram:{linked.UserId}",
            $"Telegram user {linked.UserId}{(linked.Username is { } name ? " (@" + name + ")" : "")} linked with a one-time code", address, "ok"), cancellationToken);
        await reply.SendAsync("Linked. Write here to talk to your agent; proposals that wait for you arrive here with Approve / Edit / Reject buttons. /unlink ends the link.", cancellationToken);
    }

    private async Task OnButtonAsync(long updateId, TelegramCallbackQuery query, TelegramLink? link, CancellationToken cancellationToken)
    {
        var answer = "Done.";
        try
        {
            answer = await DecideAsync(updateId, query, link, cancellationToken);
        }
        finally
        {
            try
            {
                await bot.AnswerCallbackQueryAsync(query.Id, answer, CancellationToken.None);
            }
            catch (IntegrationException ex)
            {
                // The button's spinner stops by itself after a while; the decision stands either way.
                logger.LogWarning("Telegram answerCallbackQuery failed: {Reason}", ex.Message);
            }
        }
    }

    /// <summary>Applies a button's decision; returns the short notice for <c>answerCallbackQuery</c>.</summary>
    private async Task<string> DecideAsync(long updateId, TelegramCallbackQuery query, TelegramLink? link, CancellationToken cancellationToken)
    {
        if (link is null || query.ChatId is not { } chatId)
        {
            return Refusal;
        }

        if (TelegramCards.Parse(query.Data) is not var (decision, revision, proposalId))
        {
            return "This button is not one of mine.";
        }

        var caller = Caller.User(link.AgentId);
        if (!limits.TryAcquire(caller, PersonLimit.Decisions, out var limit, out var retryAfter))
        {
            return $"Too many decisions: each person may make {limit}. Try again in {RequestLimiter.Seconds(retryAfter)} s.";
        }

        var view = await ProposalFunctions.LoadAsync(client, caller, proposalId, cancellationToken);
        if (view is null)
        {
            return $"No proposal '{proposalId}' is visible to you.";
        }

        var reply = new Replies(client, chatId, updateId);
        if (decision == ApprovalDecision.Edit)
        {
            if (view.Status != ProposalStatus.Pending || view.Revision != revision)
            {
                return view.Status != ProposalStatus.Pending
                    ? $"Proposal {proposalId} is {view.Status} now: nothing to edit."
                    : $"Proposal {proposalId} is at revision {view.Revision} now, not {revision}: it changed since this card. Edit the newer card.";
            }

            await EntityCalls.CallAsync(client, TelegramEntity.Id, nameof(TelegramEntity.AwaitEdit), new TelegramPendingEdit(proposalId, revision, query.FromId, chatId, query.MessageId, DateTimeOffset.UtcNow), cancellationToken);
            var main = DecisionParser.MainTextField(view.Type);
            await reply.SendAsync($"Reply with the new text for {main} of proposal {proposalId}. To change other fields, reply with field=value lines; its fields: {string.Join(", ", ProposalValidator.FieldsOf(view.Type))}.", cancellationToken);
            return $"Reply with the new text for {main}.";
        }

        var result = await ProposalDecisions.DecideAsync(client, caller, view, decision, null, decision == ApprovalDecision.Reject ? "rejected on Telegram" : null, approvals.Value.DecisionWait, cancellationToken, revision);
        if (result is IStatusCodeHttpResult { StatusCode: StatusCodes.Status202Accepted })
        {
            if (query.MessageId is { } messageId)
            {
                var done = decision == ApprovalDecision.Approve ? "✅ Approved by you on Telegram: it runs now." : "❌ Rejected by you on Telegram.";
                await TelegramOutbox.QueueAsync(client, $"{TelegramCards.DeliveryId(proposalId, revision)}-decided", new TelegramOutgoing(chatId, TelegramCards.Text(view) + "\n\n" + done, EditMessageId: messageId), cancellationToken);
            }

            return decision == ApprovalDecision.Approve ? "Approved." : "Rejected.";
        }

        return Problems.DetailOf(result) ?? "Nothing was applied.";
    }

    private async Task EditAsync(Caller caller, TelegramPendingEdit edit, string text, Replies reply, CancellationToken cancellationToken)
    {
        var view = await ProposalFunctions.LoadAsync(client, caller, edit.ProposalId, cancellationToken);
        if (view is null)
        {
            await reply.SendAsync($"No proposal '{edit.ProposalId}' is visible to you.", cancellationToken);
            return;
        }

        var changes = DecisionParser.Parse("edit: " + text, view.Type)?.Changes;
        var result = await ProposalDecisions.DecideAsync(client, caller, view, ApprovalDecision.Edit, changes, null, approvals.Value.DecisionWait, cancellationToken, edit.Revision);
        await reply.SendAsync(result is IStatusCodeHttpResult { StatusCode: StatusCodes.Status202Accepted }
            ? $"Edited proposal {edit.ProposalId}: the new revision follows, to approve or reject."
            : $"The edit was not applied: {Problems.DetailOf(result)} Press Edit again to retry.", cancellationToken);
    }

    /// <summary>The rest of a <paramref name="name"/> command (<c>/start abc</c> → <c>abc</c>, also <c>/start@bot abc</c>), or null when the text is not that command.</summary>
    private static string? Command(string text, string name)
    {
        var head = text.Split(' ', 2)[0];
        var at = head.IndexOf('@', StringComparison.Ordinal);
        return string.Equals(at < 0 ? head : head[..at], name, StringComparison.OrdinalIgnoreCase) ? text[head.Length..].Trim() : null;
    }

    /// <summary>The bot's answers to one update, each a durable delivery under an id of that update.</summary>
    private sealed class Replies(DurableTaskClient client, long chatId, long updateId)
    {
        private int _count;

        public Task<string> SendAsync(string text, CancellationToken cancellationToken) =>
            TelegramOutbox.QueueAsync(client, $"telegram-{TelegramBotClient.Key(updateId)}-{++_count}", new TelegramOutgoing(chatId, text), cancellationToken);
    }
}
