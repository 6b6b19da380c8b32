using CompanyHub.Integrations.Mail;

namespace CompanyHub.Integrations.Google.Gmail;

/// <summary>Gmail API v1 for the person whose access token is passed (<c>users/me</c>).</summary>
public interface IGmailClient
{
    /// <summary>Gets a value indicating whether Google OAuth is configured (Gmail tokens come from it).</summary>
    bool IsConfigured { get; }

    /// <summary>Searches with Gmail's query syntax (<c>from:bob is:unread</c>) and reads each hit's headers and snippet.</summary>
    /// <param name="accessToken">The person's access token.</param>
    /// <param name="query">The Gmail search query; empty lists the newest messages.</param>
    /// <param name="maxResults">How many hits, 1 to 50.</param>
    /// <param name="pageToken">The <see cref="GmailSearchResult.NextPageToken"/> of the previous page.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    Task<GmailSearchResult> SearchAsync(string accessToken, string query, int maxResults = 10, string? pageToken = null, CancellationToken cancellationToken = default);

    /// <summary>Reads one message.</summary>
    Task<GmailMessage> GetMessageAsync(string accessToken, string messageId, GmailMessageFormat format = GmailMessageFormat.Full, CancellationToken cancellationToken = default);

    /// <summary>The mailbox's labels, id → name (system labels such as <c>INBOX</c> are their own name; user labels are <c>Label_…</c> → <c>Clients/Acme</c>).</summary>
    Task<IReadOnlyDictionary<string, string>> ListLabelsAsync(string accessToken, CancellationToken cancellationToken = default);

    /// <summary>Sends a plain-text email as the person (an RFC 2822 message, base64url in <c>raw</c>).</summary>
    Task<GmailSentMessage> SendAsync(string accessToken, EmailMessage message, CancellationToken cancellationToken = default);

    /// <summary><c>users.drafts.list</c> with Gmail's query syntax, then each draft's headers and snippet (newest first, as Gmail lists them).</summary>
    Task<IReadOnlyList<GmailDraft>> ListDraftsAsync(string accessToken, string query, int maxResults = 10, CancellationToken cancellationToken = default);

    /// <summary><c>users.drafts.get</c>: one draft with its message (<see cref="GmailMessageFormat.Full"/> reads the body).</summary>
    Task<GmailDraft> GetDraftAsync(string accessToken, string draftId, GmailMessageFormat format = GmailMessageFormat.Full, CancellationToken cancellationToken = default);

    /// <summary><c>users.drafts.create</c>: a plain-text draft (an RFC 2822 message like <see cref="SendAsync"/>'s); into a thread when <see cref="EmailMessage.ThreadId"/> is set.</summary>
    Task<GmailDraft> CreateDraftAsync(string accessToken, EmailMessage message, CancellationToken cancellationToken = default);

    /// <summary><c>users.drafts.send</c>: sends the draft as it is in Gmail (Gmail then deletes the draft).</summary>
    Task<GmailSentMessage> SendDraftAsync(string accessToken, string draftId, CancellationToken cancellationToken = default);
}
