namespace CompanyHub.Integrations.Attio;

/// <summary>A record with each attribute's current values reduced to text (several values joined by "; ").</summary>
/// <param name="Id">The record id.</param>
/// <param name="Object">The object slug it was read from (<c>people</c>, <c>companies</c>, <c>deals</c>, ...).</param>
/// <param name="WebUrl">The record's page in Attio.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="Values">Attribute slug → text; attributes without a current value are left out.</param>
public sealed record AttioRecord(string Id, string Object, string? WebUrl, DateTimeOffset? CreatedAt, IReadOnlyDictionary<string, string> Values);
