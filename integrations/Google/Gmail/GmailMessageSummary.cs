namespace CompanyHub.Integrations.Google.Gmail;

/// <summary>One search hit, compact enough to list many of them to a model or on the dashboard.</summary>
public sealed record GmailMessageSummary(
    string Id,
    string ThreadId,
    string? From,
    string? To,
    string? Subject,
    DateTimeOffset? Date,
    string Snippet,
    IReadOnlyList<string> Labels)
{
    /// <summary>Gets a value indicating whether the message carries Gmail's UNREAD label.</summary>
    public bool IsUnread => Labels.Contains("UNREAD", StringComparer.Ordinal);
}
