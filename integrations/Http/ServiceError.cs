namespace CompanyHub.Integrations.Http;

/// <summary>What a service said in its JSON error body.</summary>
internal sealed record ServiceError(string? Code, string? Message, bool IsTransient = false);
