using System.Text.Json.Nodes;

namespace CompanyHub.Fakes.Notion;

/// <summary>A database of the fake: its schema in Notion's response shape.</summary>
internal sealed class NotionDatabaseState
{
    public required string Id { get; init; }

    public required string DataSourceId { get; init; }

    public required string Title { get; init; }

    public required JsonObject Schema { get; init; }

    public required DateTimeOffset Created { get; init; }
}
