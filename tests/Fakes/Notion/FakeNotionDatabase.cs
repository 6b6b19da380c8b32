namespace CompanyHub.Fakes.Notion;

/// <summary>A database of the fake and its single data source.</summary>
public sealed record FakeNotionDatabase(string Id, string DataSourceId, string Title);
