namespace CompanyHub.Fakes.Notion;

/// <summary>The endpoint names <see cref="FakeNotion"/> records requests under.</summary>
public static class NotionEndpoints
{
    public const string Search = "notion.search";
    public const string DatabasesRetrieve = "notion.databases.retrieve";
    public const string DatabasesQuery = "notion.databases.query";
    public const string DataSourcesRetrieve = "notion.data_sources.retrieve";
    public const string DataSourcesQuery = "notion.data_sources.query";
    public const string PagesRetrieve = "notion.pages.retrieve";
    public const string PagesCreate = "notion.pages.create";
    public const string PagesUpdate = "notion.pages.update";
    public const string BlocksChildrenList = "notion.blocks.children.list";
    public const string BlocksChildrenAppend = "notion.blocks.children.append";
}
