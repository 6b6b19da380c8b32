namespace CompanyHub.Integrations.Notion;

/// <summary>What <see cref="INotionClient.SearchAsync"/> looks for.</summary>
public enum NotionSearchFilter
{
    /// <summary>Pages and databases.</summary>
    All,

    /// <summary>Pages only.</summary>
    Pages,

    /// <summary>Databases only (data sources in API versions from 2025-09-03).</summary>
    Databases,
}
