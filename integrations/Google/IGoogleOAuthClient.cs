namespace CompanyHub.Integrations.Google;

/// <summary>Google's OAuth 2.0 authorization code flow with PKCE, and the userinfo that proves who signed in.</summary>
public interface IGoogleOAuthClient
{
    /// <summary>Gets a value indicating whether <c>GOOGLE_CLIENT_ID</c> and <c>GOOGLE_CLIENT_SECRET</c> are set.</summary>
    bool IsConfigured { get; }

    /// <summary>
    /// The URL of Google's consent page: code flow, S256 PKCE, offline access (a refresh token) and <c>prompt=consent</c>
    /// (so a refresh token is issued again for a person who consented before).
    /// </summary>
    /// <param name="state">The single-use state bound to the invite; Google returns it unchanged.</param>
    /// <param name="codeChallenge">The S256 challenge of the verifier kept server-side (<see cref="Pkce.ComputeChallenge"/>).</param>
    /// <param name="redirectUri">The callback URL registered with the OAuth client.</param>
    /// <param name="scopes">The scopes to ask for (<see cref="GoogleScopes.ForHub"/>).</param>
    /// <param name="loginHint">The invited email, so Google preselects that account.</param>
    Uri BuildAuthorizationUrl(string state, string codeChallenge, string redirectUri, IEnumerable<string> scopes, string? loginHint = null);

    /// <summary>Exchanges the authorization code from the callback for tokens (form POST to the token endpoint).</summary>
    Task<GoogleTokens> ExchangeCodeAsync(string code, string codeVerifier, string redirectUri, CancellationToken cancellationToken = default);

    /// <summary>Gets a fresh access token with a refresh token.</summary>
    Task<GoogleTokens> RefreshAsync(string refreshToken, CancellationToken cancellationToken = default);

    /// <summary>Reads who the access token belongs to (email and whether it is verified).</summary>
    Task<GoogleUserInfo> GetUserInfoAsync(string accessToken, CancellationToken cancellationToken = default);
}
