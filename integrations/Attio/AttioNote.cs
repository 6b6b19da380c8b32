namespace CompanyHub.Integrations.Attio;

/// <summary>A note as Attio stored it.</summary>
public sealed record AttioNote(string Id, AttioRecordReference Parent, string? Title, string? Content, DateTimeOffset? CreatedAt);
