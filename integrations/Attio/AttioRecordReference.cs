namespace CompanyHub.Integrations.Attio;

/// <summary>Points at a record: its object slug and id.</summary>
public sealed record AttioRecordReference(string Object, string RecordId);
