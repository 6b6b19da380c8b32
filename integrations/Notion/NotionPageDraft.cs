using System.Text.Json.Nodes;

namespace CompanyHub.Integrations.Notion;

/// <summary>
/// A page to create under a database or a page. <see cref="Properties"/> takes text values that the client converts
/// by the database's property types (select, multi_select as "a, b", number, checkbox, date as "start" or "start/end",
/// ...); <see cref="RawProperties"/> takes Notion's own property JSON and wins over the text values.
/// </summary>
public sealed record NotionPageDraft
{
    /// <summary>Gets the database to add the page to (exactly one parent must be set).</summary>
    public string? ParentDatabaseId { get; init; }

    /// <summary>Gets the data source to add the page to (Notion-Version 2025-09-03 and later; exactly one parent must be set).</summary>
    public string? ParentDataSourceId { get; init; }

    /// <summary>Gets the page to add the page under (exactly one parent must be set).</summary>
    public string? ParentPageId { get; init; }

    /// <summary>Gets the title.</summary>
    public required string Title { get; init; }

    /// <summary>Gets property values as text, by property name (database parents only).</summary>
    public IReadOnlyDictionary<string, string>? Properties { get; init; }

    /// <summary>Gets property values in Notion's JSON, by property name.</summary>
    public JsonObject? RawProperties { get; init; }

    /// <summary>Gets the body as light markdown: paragraphs, <c>#</c> headings, <c>-</c> bullets, <c>[ ]</c> to-dos.</summary>
    public string? Content { get; init; }
}
