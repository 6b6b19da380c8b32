namespace CompanyHub.Integrations.Notion;

/// <summary>A search hit.</summary>
/// <param name="Id">The page, database or data source id.</param>
/// <param name="Object"><c>page</c>, <c>database</c> or <c>data_source</c>.</param>
/// <param name="Title">The plain-text title.</param>
/// <param name="Url">The Notion URL, when there is one.</param>
/// <param name="LastEditedTime">When it last changed.</param>
public sealed record NotionSearchItem(string Id, string Object, string? Title, string? Url, DateTimeOffset? LastEditedTime);
