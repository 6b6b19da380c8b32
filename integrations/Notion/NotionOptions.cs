namespace CompanyHub.Integrations.Notion;

/// <summary>Notion settings. Bound from the <c>Notion</c> configuration section; <c>NOTION_API_KEY</c> wins when set.</summary>
public sealed class NotionOptions
{
    /// <summary>The configuration section bound onto these options.</summary>
    public const string SectionName = "Notion";

    /// <summary>The first API version whose databases hold data sources (<c>/v1/data_sources/{id}/query</c>).</summary>
    public const string DataSourcesVersion = "2025-09-03";

    /// <summary>Gets or sets the integration secret (<c>NOTION_API_KEY</c>). Default is none: Notion tools are off.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the API root. Default is <c>https://api.notion.com</c>.</summary>
    public string BaseUrl { get; set; } = "https://api.notion.com";

    /// <summary>
    /// Gets or sets the <c>Notion-Version</c> header. Default is <c>2025-09-03</c> (data sources); <c>2022-06-28</c> is also
    /// spoken (database queries), for workspaces that pin the older version.
    /// </summary>
    public string Version { get; set; } = DataSourcesVersion;

    /// <summary>Gets or sets how long one HTTP call may take before it fails as transient. Default is 30 seconds.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets a value indicating whether the API key is set.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(ApiKey);

    /// <summary>Gets a value indicating whether <see cref="Version"/> uses data sources rather than database queries.</summary>
    public bool UsesDataSources => string.CompareOrdinal(Version, DataSourcesVersion) >= 0;
}
