namespace CompanyHub.Integrations.Attio;

/// <summary>Attio settings. Bound from the <c>Attio</c> configuration section; <c>ATTIO_API_KEY</c> wins when set.</summary>
public sealed class AttioOptions
{
    /// <summary>The configuration section bound onto these options.</summary>
    public const string SectionName = "Attio";

    /// <summary>Gets or sets the workspace access token (<c>ATTIO_API_KEY</c>). Default is none: Attio tools are off.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the API root (the client appends <c>/v2/...</c>). Default is <c>https://api.attio.com</c>.</summary>
    public string BaseUrl { get; set; } = "https://api.attio.com";

    /// <summary>Gets or sets how long one HTTP call may take before it fails as transient. Default is 30 seconds.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets a value indicating whether the API key is set.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(ApiKey);
}
