namespace CompanyHub.Integrations.Google;

/// <summary>
/// Tokens from Google's token endpoint. <see cref="ToString"/> never prints the tokens, so an accidental log line
/// or exception message cannot leak them.
/// </summary>
public sealed record GoogleTokens
{
    /// <summary>Gets the bearer token for Gmail and Calendar calls.</summary>
    public required string AccessToken { get; init; }

    /// <summary>Gets the refresh token; <c>null</c> when Google did not issue a new one (a refresh keeps the old one).</summary>
    public string? RefreshToken { get; init; }

    /// <summary>Gets when the access token expires.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Gets the scopes the person actually granted (they can untick some on the consent screen).</summary>
    public required IReadOnlyList<string> Scopes { get; init; }

    /// <summary>Gets the token type, normally <c>Bearer</c>.</summary>
    public string TokenType { get; init; } = "Bearer";

    /// <summary>Gets the OpenID Connect id_token, when the <c>openid</c> scope was granted.</summary>
    public string? IdToken { get; init; }

    /// <summary>Whether the person granted the scope.</summary>
    public bool HasScope(string scope) => Scopes.Contains(scope, StringComparer.Ordinal);

    /// <inheritdoc />
    public override string ToString() =>
        $"GoogleTokens {{ ExpiresAt = {ExpiresAt:O}, Scopes = [{string.Join(' ', Scopes)}], HasRefreshToken = {RefreshToken is not null} }}";
}
