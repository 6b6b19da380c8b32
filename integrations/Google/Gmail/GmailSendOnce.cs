using CompanyHub.Integrations.Mail;

namespace CompanyHub.Integrations.Google.Gmail;

/// <summary>
/// A Gmail send (or a new draft) that happens at most once per idempotency key, however often the activity that makes it
/// runs: the message carries a <c>Message-ID</c> derived from the key, and Gmail is searched for it (<c>rfc822msgid:</c>)
/// before sending or drafting.
/// </summary>
public static class GmailSendOnce
{
    /// <summary>Sends <paramref name="message"/> unless an earlier attempt with the same key reached Gmail; returns the Gmail id and whether it was earlier.</summary>
    public static async Task<(string GmailId, bool Earlier)> SendAsync(IGmailClient gmail, string accessToken, EmailMessage message, string idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(gmail);
        ArgumentNullException.ThrowIfNull(message);
        var messageId = MimeMessageBuilder.MessageIdFor(idempotencyKey, MimeMessageBuilder.DomainOf(message.From));
        var earlier = await gmail.SearchAsync(accessToken, $"rfc822msgid:{messageId.Trim('<', '>')} in:anywhere", 1, cancellationToken: cancellationToken);
        if (earlier.Messages.Count > 0)
        {
            return (earlier.Messages[0].Id, true);
        }

        var sent = await gmail.SendAsync(accessToken, message with { MessageId = messageId }, cancellationToken);
        return (sent.Id, false);
    }

    /// <summary>Creates a draft of <paramref name="message"/> unless an earlier attempt with the same key did; returns the draft and whether it was earlier.</summary>
    public static async Task<(GmailDraft Draft, bool Earlier)> CreateDraftAsync(IGmailClient gmail, string accessToken, EmailMessage message, string idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(gmail);
        ArgumentNullException.ThrowIfNull(message);
        var messageId = MimeMessageBuilder.MessageIdFor(idempotencyKey, MimeMessageBuilder.DomainOf(message.From));
        var earlier = await gmail.ListDraftsAsync(accessToken, $"rfc822msgid:{messageId.Trim('<', '>')}", 1, cancellationToken);
        if (earlier.Count > 0)
        {
            return (earlier[0], true);
        }

        return (await gmail.CreateDraftAsync(accessToken, message with { MessageId = messageId }, cancellationToken), false);
    }
}
