namespace CompanyHub.Integrations.Attio;

/// <summary>A task to create.</summary>
public sealed record AttioTaskDraft
{
    /// <summary>Gets the task's text (plain text).</summary>
    public required string Content { get; init; }

    /// <summary>Gets the deadline, if any.</summary>
    public DateTimeOffset? DeadlineAt { get; init; }

    /// <summary>Gets a value indicating whether the task is already done.</summary>
    public bool IsCompleted { get; init; }

    /// <summary>Gets the records the task is about.</summary>
    public IReadOnlyList<AttioRecordReference> LinkedRecords { get; init; } = [];

    /// <summary>Gets the assignees: workspace member ids, or workspace member email addresses.</summary>
    public IReadOnlyList<string> Assignees { get; init; } = [];
}
