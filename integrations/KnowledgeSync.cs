using CompanyHub.Integrations.Notion;
using CompanyHub.Integrations.Storage;

namespace CompanyHub.Integrations;

/// <summary>What one page of a Notion database query did to the knowledge base: the Notion pages it kept (their ids) and where the query goes on.</summary>
public sealed record KnowledgeSyncBatch(IReadOnlyList<string> PageIds, string? NextCursor, int Added, int Updated, int Unchanged, int Truncated);

/// <summary>
/// Copies the pages of a Notion database into the knowledge base (title and text as Notion's client reads them), one
/// page of query results at a time (<see cref="SyncBatchAsync"/>, each a durable activity of the sync orchestration):
/// new pages are added, changed ones replaced; once the whole database was read, pages gone from it (or archived)
/// are removed (<see cref="RemoveMissingAsync"/>). Idempotent: a repeated batch changes nothing. At most
/// <see cref="MaxPages"/> pages a sync.
/// </summary>
public sealed class KnowledgeSync(INotionClient notion, IKnowledgeBase knowledge)
{
    public const int MaxPages = 500;

    /// <summary>Pages asked of Notion per query (Notion's maximum).</summary>
    public const int BatchSize = 100;

    /// <summary>The setting naming the Notion database the hub syncs on its schedule (hourly) when set.</summary>
    public const string DatabaseSetting = "KNOWLEDGE_NOTION_DATABASE_ID";

    /// <summary>The dashed form of a Notion database id or URL; throws <see cref="ArgumentException"/> when it names none.</summary>
    public static string NormalizeDatabaseId(string idOrUrl) => NotionJson.NormalizeId(idOrUrl);

    /// <summary>
    /// Reads one page of the database's query results from <paramref name="cursor"/> (at most <paramref name="limit"/>
    /// Notion pages) and upserts each page that is not archived. Notion's failures are thrown as
    /// <see cref="IntegrationException"/> (transient ones marked so); the pages written before a failure stay.
    /// </summary>
    public async Task<KnowledgeSyncBatch> SyncBatchAsync(string databaseId, string? cursor, int limit, string by, CancellationToken cancellationToken)
    {
        if (!notion.IsConfigured)
        {
            throw new ToolNotConfiguredException("Notion", "Notion is not configured: set NOTION_API_KEY.");
        }

        var batch = await notion.QueryDatabaseAsync(databaseId, startCursor: cursor, pageSize: Math.Clamp(limit, 1, BatchSize), cancellationToken: cancellationToken).ConfigureAwait(false);
        int added = 0, updated = 0, unchanged = 0, truncated = 0;
        var kept = new List<string>();
        foreach (var page in batch.Items.Where(p => !p.Archived).Take(limit))
        {
            kept.Add(page.Id);
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

        return new KnowledgeSyncBatch(kept, batch.NextCursor, added, updated, unchanged, truncated);
    }

    /// <summary>Removes the pages synced from the database that the sync did not see (deleted, archived or moved in Notion); returns how many.</summary>
    public Task<int> RemoveMissingAsync(string databaseId, IReadOnlyCollection<string> seen, CancellationToken cancellationToken) =>
        knowledge.DeleteMissingAsync(KnowledgeSources.Notion, databaseId, seen, cancellationToken);

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];
}
