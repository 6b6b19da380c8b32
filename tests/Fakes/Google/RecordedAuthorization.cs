namespace CompanyHub.Fakes.Google;

/// <summary>One visit to the fake's consent page.</summary>
/// <param name="Parameters">The query parameters as received.</param>
/// <param name="Account">The account that "signed in", when one did.</param>
/// <param name="Outcome"><c>code</c>, <c>access_denied</c>, or the error shown instead of a redirect.</param>
public sealed record RecordedAuthorization(IReadOnlyDictionary<string, string> Parameters, string? Account, string Outcome);
