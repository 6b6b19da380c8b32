using System.Text.Json.Nodes;

namespace CompanyHub.Fakes.Notion;

/// <summary>A page of the fake: properties in Notion's response shape, top-level blocks.</summary>
internal sealed class NotionPageState
{
    public required string Id { get; init; }

    /// <summary><c>database_id</c>, <c>page_id</c> or <c>workspace</c>.</summary>
    public required string ParentType { get; init; }

    public string? ParentId { get; init; }

    public required JsonObject Properties { get; set; }

    public required DateTimeOffset Created { get; init; }

    public DateTimeOffset LastEdited { get; set; }

    public bool InTrash { get; set; }

    public List<JsonObject> Blocks { get; } = [];

    public string Title => Properties.Select(p => p.Value).OfType<JsonObject>().FirstOrDefault(p => p["type"]?.GetValue<string>() == "title") is { } t
        ? string.Concat((t["title"] as JsonArray ?? []).Select(r => r?["plain_text"]?.GetValue<string>()))
        : string.Empty;
}
