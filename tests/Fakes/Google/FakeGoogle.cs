using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CompanyHub.Fakes.Google;

/// <summary>
/// A fake of Google's OAuth 2.0 endpoints, OpenID userinfo, Gmail API v1 and Calendar API v3 on one Kestrel server.
/// <list type="bullet">
/// <item>Consent page <c>GET /o/oauth2/v2/auth</c>: approves at once as <see cref="ConsentAccount"/> (or the
/// <c>login_hint</c>, or the first account) and redirects to <c>redirect_uri</c> with <c>code</c> and <c>state</c>;
/// with <see cref="DenyConsent"/> it redirects with <c>error=access_denied</c>.</item>
/// <item>Token endpoint <c>POST /token</c>: checks the client credentials, grant type, redirect URI, single-use codes
/// and the PKCE S256 verifier; issues access and refresh tokens; refresh grant.</item>
/// <item><c>GET /v1/userinfo</c>, Gmail <c>/gmail/v1/users/{userId}/messages[...]</c>, Calendar
/// <c>/calendar/v3/calendars/{calendarId}/events</c>, each checking the bearer token's scopes.</item>
/// </list>
/// </summary>
public sealed partial class FakeGoogle : FakeServer
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, FakeGoogleAccount> _accounts = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, AuthorizationCode> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Grant> _accessTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Grant> _refreshTokens = new(StringComparer.Ordinal);
    private readonly List<RecordedAuthorization> _authorizations = [];
    private readonly List<RecordedEmail> _sentEmails = [];
    private readonly List<JsonObject> _insertedEvents = [];

    private FakeGoogle()
    {
    }

    /// <summary>Gets or sets the OAuth client id the fake accepts.</summary>
    public string ClientId { get; set; } = "fake-client-id.apps.googleusercontent.com";

    /// <summary>Gets or sets the OAuth client secret the fake accepts.</summary>
    public string ClientSecret { get; set; } = "fake-client-secret";

    /// <summary>Gets the registered redirect URIs; when empty, any absolute URI is accepted.</summary>
    public ISet<string> RegisteredRedirectUris { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Gets or sets the account that signs in on the consent page; null uses <c>login_hint</c>, then the first account.</summary>
    public string? ConsentAccount { get; set; }

    /// <summary>Gets or sets a value indicating whether the person clicks "Cancel" (redirect with <c>error=access_denied</c>).</summary>
    public bool DenyConsent { get; set; }

    /// <summary>Gets the scopes the person unticks on the consent page; they are left out of the grant.</summary>
    public ISet<string> DeclinedScopes { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Gets or sets how long an authorization code can be redeemed. Default is 10 minutes.</summary>
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets how long an access token lives. Default is one hour.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets the consent page URL.</summary>
    public string AuthorizationEndpoint => Url + "/o/oauth2/v2/auth";

    /// <summary>Gets the token endpoint URL.</summary>
    public string TokenEndpoint => Url + "/token";

    /// <summary>Gets the userinfo URL.</summary>
    public string UserInfoEndpoint => Url + "/v1/userinfo";

    /// <summary>Gets the Gmail API root (paths start with <c>/gmail/v1</c>).</summary>
    public string GmailBaseUrl => Url;

    /// <summary>Gets the Calendar API root (<c>.../calendar/v3</c>).</summary>
    public string CalendarBaseUrl => Url + "/calendar/v3";

    /// <summary>Gets every visit to the consent page.</summary>
    public IReadOnlyList<RecordedAuthorization> Authorizations
    {
        get
        {
            lock (_gate)
            {
                return [.. _authorizations];
            }
        }
    }

    /// <summary>Gets every message sent through Gmail, decoded.</summary>
    public IReadOnlyList<RecordedEmail> SentEmails
    {
        get
        {
            lock (_gate)
            {
                return [.. _sentEmails];
            }
        }
    }

    /// <summary>Gets every event created through <c>events.insert</c>, as stored.</summary>
    public IReadOnlyList<JsonObject> InsertedEvents
    {
        get
        {
            lock (_gate)
            {
                return _insertedEvents.Select(e => (JsonObject)e.DeepClone()).ToArray();
            }
        }
    }

    /// <summary>Starts a fake on a free port of 127.0.0.1.</summary>
    public static async Task<FakeGoogle> StartAsync(CancellationToken cancellationToken = default)
    {
        var fake = new FakeGoogle();
        await fake.StartServerAsync(cancellationToken);
        return fake;
    }

    /// <summary>
    /// The settings that point the app at this fake, for <c>AddInMemoryCollection</c>: the flat deployment names
    /// and the <c>Google:*</c> endpoints.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string?>> ConfigurationValues(bool calendarEnabled = true) =>
    [
        new("GOOGLE_CLIENT_ID", ClientId),
        new("GOOGLE_CLIENT_SECRET", ClientSecret),
        new("GOOGLE_CALENDAR", calendarEnabled ? "true" : "false"),
        new("Google:AuthorizationEndpoint", AuthorizationEndpoint),
        new("Google:TokenEndpoint", TokenEndpoint),
        new("Google:UserInfoEndpoint", UserInfoEndpoint),
        new("Google:GmailBaseUrl", GmailBaseUrl),
        new("Google:CalendarBaseUrl", CalendarBaseUrl),
        new("Google:DriveBaseUrl", DriveBaseUrl),
        new("Google:DocsBaseUrl", DocsBaseUrl),
        new("Google:SheetsBaseUrl", SheetsBaseUrl),
        new("Google:PeopleBaseUrl", PeopleBaseUrl),
    ];

    /// <summary>Adds an account that can sign in.</summary>
    public FakeGoogleAccount AddAccount(string email, string? name = null, bool emailVerified = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        lock (_gate)
        {
            var account = new FakeGoogleAccount(_gate, email, name, emailVerified);
            _accounts[email] = account;
            return account;
        }
    }

    /// <summary>An account added before.</summary>
    public FakeGoogleAccount Account(string email)
    {
        lock (_gate)
        {
            return _accounts.TryGetValue(email, out var account) ? account : throw new KeyNotFoundException($"No fake account {email}.");
        }
    }

    /// <summary>Issues an access token directly, skipping the consent flow (for Gmail and Calendar tests).</summary>
    public string IssueAccessToken(string email, params string[] scopes)
    {
        var account = Account(email);
        lock (_gate)
        {
            return NewAccessToken(account.Email, NormalizeScopes(scopes));
        }
    }

    /// <summary>Issues a refresh token directly, skipping the consent flow.</summary>
    public string IssueRefreshToken(string email, params string[] scopes)
    {
        var account = Account(email);
        lock (_gate)
        {
            var token = "1//" + NewToken();
            _refreshTokens[token] = new Grant(account.Email, ClientId, NormalizeScopes(scopes), DateTimeOffset.MaxValue);
            return token;
        }
    }

    /// <summary>
    /// Honours a refresh token issued earlier by another instance of this fake (Google keeps its grants while the hub is
    /// upgraded or moved; a new fake starts empty).
    /// </summary>
    public void ImportRefreshToken(string refreshToken, string email, params string[] scopes)
    {
        var account = Account(email);
        lock (_gate)
        {
            _refreshTokens[refreshToken] = new Grant(account.Email, ClientId, NormalizeScopes(scopes), DateTimeOffset.MaxValue);
        }
    }

    /// <summary>Revokes a refresh token (the person removed the app's access).</summary>
    public void RevokeRefreshToken(string refreshToken)
    {
        lock (_gate)
        {
            if (_refreshTokens.TryGetValue(refreshToken, out var grant))
            {
                grant.Revoked = true;
            }
        }
    }

    /// <summary>Revokes every token of an account (the person removed the app's access at their Google account).</summary>
    public void RevokeAccount(string email)
    {
        var account = Account(email);
        lock (_gate)
        {
            foreach (var grant in _refreshTokens.Values.Concat(_accessTokens.Values).Where(g => g.Email == account.Email))
            {
                grant.Revoked = true;
            }
        }
    }

    /// <summary>Makes an access token expired.</summary>
    public void ExpireAccessToken(string accessToken)
    {
        lock (_gate)
        {
            if (_accessTokens.TryGetValue(accessToken, out var grant))
            {
                grant.ExpiresAt = DateTimeOffset.MinValue;
            }
        }
    }

    /// <summary>Makes every outstanding authorization code expired.</summary>
    public void ExpireAuthorizationCodes()
    {
        lock (_gate)
        {
            foreach (var code in _codes.Values)
            {
                code.ExpiresAt = DateTimeOffset.MinValue;
            }
        }
    }

    /// <summary>
    /// Opens a consent URL as a browser would, without following the redirect, and returns where Google sends the
    /// person back (the app's callback with <c>code</c>/<c>state</c> or <c>error</c>).
    /// </summary>
    public async Task<Uri> AuthorizeAsync(Uri authorizationUrl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authorizationUrl);
        using var handler = new SocketsHttpHandler { AllowAutoRedirect = false };
        using var http = new HttpClient(handler);
        using var response = await http.GetAsync(authorizationUrl, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Found || response.Headers.Location is null)
        {
            throw new InvalidOperationException(
                $"The consent page did not redirect: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return response.Headers.Location;
    }

    internal static string NewId(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));

    internal static string RfcDate(DateTimeOffset date)
    {
        var offset = date.Offset;
        return date.ToString("ddd, dd MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture)
            + (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString("hhmm", CultureInfo.InvariantCulture);
    }

    protected override void MapRoutes(WebApplication app)
    {
        MapOAuth(app);
        MapGmail(app);
        MapCalendar(app);
        MapFiles(app);
    }

    protected override JsonObject ErrorBody(string endpoint, int statusCode, string message, string? code = null)
    {
        if (endpoint is GoogleEndpoints.Token or GoogleEndpoints.Authorize or GoogleEndpoints.UserInfo)
        {
            code ??= statusCode switch
            {
                400 => "invalid_request",
                401 => "invalid_client",
                429 => "rate_limit_exceeded",
                503 => "temporarily_unavailable",
                _ => "server_error",
            };
            return new JsonObject { ["error"] = code, ["error_description"] = message };
        }

        var (status, reason) = statusCode switch
        {
            400 => ("INVALID_ARGUMENT", "invalidArgument"),
            401 => ("UNAUTHENTICATED", "authError"),
            403 => ("PERMISSION_DENIED", "forbidden"),
            404 => ("NOT_FOUND", "notFound"),
            409 => ("ABORTED", "conflict"),
            429 => ("RESOURCE_EXHAUSTED", "rateLimitExceeded"),
            503 => ("UNAVAILABLE", "backendError"),
            _ => ("INTERNAL", "backendError"),
        };
        return ApiError(statusCode, message, status, code ?? reason);
    }

    private static JsonObject ApiError(int code, string message, string status, string reason) => new()
    {
        ["error"] = new JsonObject
        {
            ["code"] = code,
            ["message"] = message,
            ["errors"] = new JsonArray(new JsonObject { ["message"] = message, ["domain"] = "global", ["reason"] = reason }),
            ["status"] = status,
        },
    };

    private static IResult ApiFailure(int code, string message, string status, string reason) => Json(ApiError(code, message, status, reason), code);

    /// <summary>Checks the bearer token and its scopes; answers Google's 401/403 otherwise.</summary>
    private IResult? Authenticate(HttpContext context, string[] acceptedScopes, out FakeGoogleAccount account)
    {
        account = null!;
        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;
        Grant? grant;
        lock (_gate)
        {
            grant = token is not null && _accessTokens.TryGetValue(token, out var g) && !g.Revoked && g.ExpiresAt > DateTimeOffset.UtcNow ? g : null;
            if (grant is not null)
            {
                account = _accounts[grant.Email];
            }
        }

        if (grant is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"";
            return ApiFailure(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
                "UNAUTHENTICATED",
                "authError");
        }

        if (!acceptedScopes.Any(grant.Scopes.Contains))
        {
            return ApiFailure(403, "Request had insufficient authentication scopes.", "PERMISSION_DENIED", "insufficientPermissions");
        }

        return null;
    }

    private string NewAccessToken(string email, IReadOnlyList<string> scopes)
    {
        var token = "ya29." + NewToken();
        _accessTokens[token] = new Grant(email, ClientId, scopes, DateTimeOffset.UtcNow + AccessTokenLifetime);
        return token;
    }

    private static string NewToken() => Base64UrlToken(RandomNumberGenerator.GetBytes(32));

    private static string Base64UrlToken(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    private static List<string> NormalizeScopes(IEnumerable<string> scopes) =>
        scopes.Select(s => s switch
        {
            "email" => "https://www.googleapis.com/auth/userinfo.email",
            "profile" => "https://www.googleapis.com/auth/userinfo.profile",
            _ => s,
        }).Distinct(StringComparer.Ordinal).ToList();

    private sealed class Grant(string email, string clientId, IReadOnlyList<string> scopes, DateTimeOffset expiresAt)
    {
        public string Email { get; } = email;

        public string ClientId { get; } = clientId;

        public IReadOnlyList<string> Scopes { get; } = scopes;

        public DateTimeOffset ExpiresAt { get; set; } = expiresAt;

        public bool Revoked { get; set; }
    }

    private sealed class AuthorizationCode
    {
        public required string Code { get; init; }

        public required string ClientId { get; init; }

        public required string RedirectUri { get; init; }

        public required string Email { get; init; }

        public required IReadOnlyList<string> Scopes { get; init; }

        public string? CodeChallenge { get; init; }

        public string? CodeChallengeMethod { get; init; }

        public string? Nonce { get; init; }

        public bool Offline { get; init; }

        public DateTimeOffset ExpiresAt { get; set; }

        public bool Redeemed { get; set; }

        public List<string> IssuedTokens { get; } = [];
    }
}
