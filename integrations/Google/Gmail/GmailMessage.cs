namespace CompanyHub.Integrations.Google.Gmail;

/// <summary>One message with its text body (HTML-only messages are reduced to text).</summary>
/// <param name="Id">Gmail's message id.</param>
/// <param name="ThreadId">Gmail's thread id, for replies.</param>
/// <param name="MessageIdHeader">The RFC 5322 <c>Message-ID</c>, for <see cref="Mail.EmailMessage.InReplyTo"/>.</param>
/// <param name="Body">The text body; <c>null</c> for <see cref="GmailMessageFormat.Metadata"/>.</param>
/// <param name="BodyTruncated">Whether the body was cut at the client's limit.</param>
/// <param name="AttachmentNames">File names of attachments (not downloaded).</param>
public sealed record GmailMessage(
    string Id,
    string ThreadId,
    string? From,
    string? To,
    string? Cc,
    string? Subject,
    DateTimeOffset? Date,
    string Snippet,
    IReadOnlyList<string> Labels,
    string? MessageIdHeader,
    string? Body,
    bool BodyTruncated,
    IReadOnlyList<string> AttachmentNames)
{
    /// <summary>Gets the Bcc header: present only in the sender's own copy (a draft, a sent message).</summary>
    public string? Bcc { get; init; }
}
