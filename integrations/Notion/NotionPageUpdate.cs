using System.Text.Json.Nodes;

namespace CompanyHub.Integrations.Notion;

/// <summary>Changes to a page's properties; see <see cref="NotionPageDraft"/> for the text conversion.</summary>
public sealed record NotionPageUpdate
{
    /// <summary>Gets property values as text, by property name.</summary>
    public IReadOnlyDictionary<string, string>? Properties { get; init; }

    /// <summary>Gets property values in Notion's JSON, by property name; wins over <see cref="Properties"/>.</summary>
    public JsonObject? RawProperties { get; init; }

    /// <summary>Gets whether to move the page to the trash (<c>true</c>) or restore it (<c>false</c>); <c>null</c> leaves it.</summary>
    public bool? Archived { get; init; }
}
