namespace CompanyHub.Integrations.Notion;

/// <summary>A page with its properties reduced to text (<c>Status: Done</c>, <c>Tags: a, b</c>, <c>Due: 2026-01-05</c>).</summary>
/// <param name="Id">The page id.</param>
/// <param name="Title">The plain text of its title property.</param>
/// <param name="Url">The Notion URL.</param>
/// <param name="ParentType"><c>database_id</c>, <c>data_source_id</c>, <c>page_id</c> or <c>workspace</c>.</param>
/// <param name="ParentId">The parent's id, when it has one.</param>
/// <param name="CreatedTime">When it was created.</param>
/// <param name="LastEditedTime">When it last changed.</param>
/// <param name="Archived">Whether it is archived (in the trash).</param>
/// <param name="Properties">Property name → text (null when empty).</param>
public sealed record NotionPage(
    string Id,
    string? Title,
    string? Url,
    string? ParentType,
    string? ParentId,
    DateTimeOffset? CreatedTime,
    DateTimeOffset? LastEditedTime,
    bool Archived,
    IReadOnlyDictionary<string, string?> Properties);
