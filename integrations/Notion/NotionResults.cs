namespace CompanyHub.Integrations.Notion;

/// <summary>A page of results; pass <see cref="NextCursor"/> back as the start cursor for the next.</summary>
public sealed record NotionResults<T>(IReadOnlyList<T> Items, string? NextCursor);
