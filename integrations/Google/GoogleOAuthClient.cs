using System.Text;
using System.Text.Json;
using CompanyHub.Integrations.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CompanyHub.Integrations.Google;

/// <summary>Google OAuth over plain HttpClient, with every endpoint from <see cref="GoogleOptions"/>.</summary>
public sealed class GoogleOAuthClient : IGoogleOAuthClient
{
    internal const string ServiceName = "Google OAuth";
    private readonly GoogleOptions _options;
    private readonly ServiceHttp _http;
    private readonly TimeProvider _time;

    public GoogleOAuthClient(HttpClient http, IOptions<GoogleOptions> options, ILogger<GoogleOAuthClient> logger, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        _http = new ServiceHttp(http, ServiceName, ServiceErrorParsers.Google, logger, time);
    }

    public bool IsConfigured => _options.IsConfigured;

    public Uri BuildAuthorizationUrl(string state, string codeChallenge, string redirectUri, IEnumerable<string> scopes, string? loginHint = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(state);
        ArgumentException.ThrowIfNullOrEmpty(codeChallenge);
        ArgumentException.ThrowIfNullOrEmpty(redirectUri);
        ArgumentNullException.ThrowIfNull(scopes);
        EnsureConfigured();
        var scope = string.Join(' ', scopes);
        ArgumentException.ThrowIfNullOrEmpty(scope, nameof(scopes));

        var query = new List<KeyValuePair<string, string>>
        {
            new("client_id", _options.ClientId!),
            new("redirect_uri", redirectUri),
            new("response_type", "code"),
            new("scope", scope),
            new("state", state),
            new("code_challenge", codeChallenge),
            new("code_challenge_method", "S256"),
            new("access_type", "offline"),
            new("prompt", "consent"),
            new("include_granted_scopes", "true"),
        };
        if (!string.IsNullOrEmpty(loginHint))
        {
            query.Add(new("login_hint", loginHint));
        }

        var url = new StringBuilder(_options.AuthorizationEndpoint);
        url.Append(_options.AuthorizationEndpoint.Contains('?', StringComparison.Ordinal) ? '&' : '?');
        url.AppendJoin('&', query.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        return new Uri(url.ToString());
    }

    public Task<GoogleTokens> ExchangeCodeAsync(string code, string codeVerifier, string redirectUri, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        ArgumentException.ThrowIfNullOrEmpty(codeVerifier);
        ArgumentException.ThrowIfNullOrEmpty(redirectUri);
        EnsureConfigured();
        return RequestTokensAsync(
            "oauth.token.authorization_code",
            [
                new("grant_type", "authorization_code"),
                new("code", code),
                new("code_verifier", codeVerifier),
                new("redirect_uri", redirectUri),
            ],
            cancellationToken);
    }

    public Task<GoogleTokens> RefreshAsync(string refreshToken, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(refreshToken);
        EnsureConfigured();
        return RequestTokensAsync(
            "oauth.token.refresh_token",
            [
                new("grant_type", "refresh_token"),
                new("refresh_token", refreshToken),
            ],
            cancellationToken);
    }

    public async Task<GoogleUserInfo> GetUserInfoAsync(string accessToken, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        EnsureConfigured();
        var body = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Get, _options.UserInfoEndpoint, accessToken), "oauth.userinfo", cancellationToken);
        var email = body.GetStringOrNull("email")
            ?? throw new IntegrationException(ServiceName, "Google's userinfo has no email: the userinfo.email scope was not granted.", errorCode: "missing_email");
        return new GoogleUserInfo(
            body.GetStringOrNull("sub") ?? string.Empty,
            email,
            body.GetBoolean("email_verified"),
            body.GetStringOrNull("name"),
            body.GetStringOrNull("hd"));
    }

    private async Task<GoogleTokens> RequestTokensAsync(string operation, List<KeyValuePair<string, string>> form, CancellationToken cancellationToken)
    {
        form.Add(new("client_id", _options.ClientId!));
        form.Add(new("client_secret", _options.ClientSecret!));
        var request = ServiceHttp.Request(HttpMethod.Post, _options.TokenEndpoint, bearerToken: null);
        request.Content = new FormUrlEncodedContent(form);
        var body = await _http.SendAsync(request, operation, cancellationToken);

        var accessToken = body.GetStringOrNull("access_token")
            ?? throw new IntegrationException(ServiceName, $"{ServiceName} {operation} answered without an access_token.", errorCode: "missing_access_token");
        var expiresIn = body.TryGetProperty("expires_in", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetInt32() : 3600;
        return new GoogleTokens
        {
            AccessToken = accessToken,
            RefreshToken = body.GetStringOrNull("refresh_token"),
            ExpiresAt = _time.GetUtcNow().AddSeconds(expiresIn),
            Scopes = (body.GetStringOrNull("scope") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries),
            TokenType = body.GetStringOrNull("token_type") ?? "Bearer",
            IdToken = body.GetStringOrNull("id_token"),
        };
    }

    private void EnsureConfigured()
    {
        if (!_options.IsConfigured)
        {
            throw new ToolNotConfiguredException("Google", "Google is not configured: set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET");
        }
    }
}
