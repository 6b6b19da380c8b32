namespace CompanyHub.Integrations.Attio;

/// <summary>A task as Attio stored it.</summary>
public sealed record AttioTask(
    string Id,
    string? Content,
    DateTimeOffset? DeadlineAt,
    bool IsCompleted,
    IReadOnlyList<AttioRecordReference> LinkedRecords,
    DateTimeOffset? CreatedAt);
