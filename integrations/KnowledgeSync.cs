using CompanyHub.Integrations.Notion;
using CompanyHub.Integrations.Storage;

namespace CompanyHub.Integrations;

/// <summary>What a sync of a Notion database did.</summary>
public sealed record KnowledgeSyncResult(string DatabaseId, int Added, int Updated, int Unchanged, int Removed, int Truncated);

/// <summary>
/// Copies the pages of a Notion database into the knowledge base (title and text as Notion's client reads them):
/// new pages are added, changed ones replaced, pages gone from the database (or archived) removed. Idempotent: a
/// repeated sync changes nothing. At most <see cref="MaxPages"/> pages a sync.
/// </summary>
public sealed class KnowledgeSync(INotionClient notion, IKnowledgeBase knowledge)
{
    public const int MaxPages = 500;

    /// <summary>The setting naming the Notion database the hub syncs on its schedule (hourly) when set.</summary>
    public const string DatabaseSetting = "KNOWLEDGE_NOTION_DATABASE_ID";

    public async Task<KnowledgeSyncResult> SyncAsync(string databaseId, string by, CancellationToken cancellationToken)
    {
        if (!notion.IsConfigured)
        {
            throw new ToolNotConfiguredException("Notion", "Notion is not configured: set NOTION_API_KEY.");
        }

        var pages = new List<NotionPage>();
        string? cursor = null;
        do
        {
            var batch = await notion.QueryDatabaseAsync(databaseId, startCursor: cursor, pageSize: 100, cancellationToken: cancellationToken).ConfigureAwait(false);
            pages.AddRange(batch.Items.Where(p => !p.Archived));
            cursor = batch.NextCursor;
        }
        while (cursor is not null && pages.Count < MaxPages);

        int added = 0, updated = 0, unchanged = 0, truncated = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var page in pages.Take(MaxPages))
        {
            seen.Add(page.Id);
            var text = await notion.GetPageTextAsync(page.Id, cancellationToken: cancellationToken).ConfigureAwait(false);
            var title = Cut(string.IsNullOrWhiteSpace(page.Title) ? "(untitled)" : page.Title.Trim(), KnowledgeRules.MaxTitle);
            var body = Cut(text, KnowledgeRules.MaxBody);
            truncated += body.Length < text.Length ? 1 : 0;
            var existing = await knowledge.FindBySourceAsync(KnowledgeSources.Notion, page.Id, cancellationToken).ConfigureAwait(false);
            if (existing is not null && existing.Title == title && existing.Body == body && existing.SourceParent == databaseId)
            {
                unchanged++;
                continue;
            }

            await knowledge.PutAsync(new KnowledgePage(existing?.Id ?? KnowledgeRules.NewId(), title, body, KnowledgeSources.Notion, page.Id, databaseId, DateTimeOffset.UtcNow, by), cancellationToken).ConfigureAwait(false);
            _ = existing is null ? added++ : updated++;
        }

        var removed = await knowledge.DeleteMissingAsync(KnowledgeSources.Notion, databaseId, seen, cancellationToken).ConfigureAwait(false);
        return new KnowledgeSyncResult(databaseId, added, updated, unchanged, removed, truncated);
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];
}
