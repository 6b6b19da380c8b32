using System.Text.Json.Nodes;

namespace CompanyHub.Integrations.Notion;

/// <summary>The Notion API with the company's integration key.</summary>
public interface INotionClient
{
    /// <summary>Gets a value indicating whether <c>NOTION_API_KEY</c> is set.</summary>
    bool IsConfigured { get; }

    /// <summary>Searches page and database titles shared with the integration.</summary>
    Task<NotionResults<NotionSearchItem>> SearchAsync(
        string? query, NotionSearchFilter filter = NotionSearchFilter.All, int pageSize = 20, string? startCursor = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Queries a database's pages with Notion's filter and sorts JSON. From API version 2025-09-03 the database's
    /// (first) data source is looked up and queried.
    /// </summary>
    Task<NotionResults<NotionPage>> QueryDatabaseAsync(
        string databaseId, JsonObject? filter = null, JsonArray? sorts = null, int pageSize = 50, string? startCursor = null,
        CancellationToken cancellationToken = default);

    /// <summary>Reads a page's properties. The id may also be a Notion URL.</summary>
    Task<NotionPage> GetPageAsync(string pageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads the current values of the named properties of a page in the shape Notion accepts when writing them (so
    /// that an update can be undone by writing them back); properties the API cannot write (formulas, rollups, created
    /// and edited times) and names the page does not have are left out.
    /// </summary>
    Task<JsonObject> GetPropertyValuesAsync(string pageId, IEnumerable<string> names, CancellationToken cancellationToken = default);

    /// <summary>Reads a page's top-level blocks as light markdown text.</summary>
    Task<string> GetPageTextAsync(string pageId, int maxBlocks = 200, CancellationToken cancellationToken = default);

    /// <summary>Creates a page.</summary>
    Task<NotionPage> CreatePageAsync(NotionPageDraft draft, CancellationToken cancellationToken = default);

    /// <summary>Changes a page's properties or archives it.</summary>
    Task<NotionPage> UpdatePageAsync(string pageId, NotionPageUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Appends light-markdown text as blocks to a page or block; returns how many blocks were added.</summary>
    Task<int> AppendTextAsync(string blockId, string text, CancellationToken cancellationToken = default);

    /// <summary>Appends blocks (headings, to-dos, bullets...) to a page or block, in order; returns how many were added.</summary>
    Task<int> AppendBlocksAsync(string blockId, IReadOnlyList<NotionBlockDraft> blocks, CancellationToken cancellationToken = default);
}
