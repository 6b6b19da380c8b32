namespace CompanyHub.Integrations.Google.Gmail;

/// <summary>A page of search hits; pass <see cref="NextPageToken"/> back for the next page.</summary>
public sealed record GmailSearchResult(IReadOnlyList<GmailMessageSummary> Messages, string? NextPageToken, int ResultSizeEstimate);
