using System.Net;
using CompanyHub.Fakes.Google;
using CompanyHub.Integrations.Google;
using Microsoft.AspNetCore.WebUtilities;

namespace CompanyHub.Integrations.Tests.Google;

public sealed class GoogleOAuthClientTests : GoogleTestBase
{
    private IGoogleOAuthClient OAuth => Host.Get<IGoogleOAuthClient>();

    [Fact]
    public void BuildAuthorizationUrl_HasCodeFlowWithS256PkceOfflineAccessAndLoginHint()
    {
        var url = OAuth.BuildAuthorizationUrl("state-123", "challenge-abc", RedirectUri, GoogleScopes.ForHub(calendarEnabled: false), Alice);

        Assert.StartsWith(Google.AuthorizationEndpoint + "?", url.ToString(), StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(url.Query);
        Assert.Equal(Google.ClientId, query["client_id"]);
        Assert.Equal(RedirectUri, query["redirect_uri"]);
        Assert.Equal("code", query["response_type"]);
        Assert.Equal("state-123", query["state"]);
        Assert.Equal("challenge-abc", query["code_challenge"]);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal("offline", query["access_type"]);
        Assert.Equal("consent", query["prompt"]);
        Assert.Equal(Alice, query["login_hint"]);
        Assert.Equal(
            "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/gmail.readonly https://www.googleapis.com/auth/gmail.send https://www.googleapis.com/auth/gmail.compose",
            query["scope"]);
    }

    [Fact]
    public void ComputeChallenge_Rfc7636AppendixBVector_Matches() =>
        Assert.Equal("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Pkce.ComputeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));

    [Fact]
    public void CreateVerifier_Is43UnreservedCharacters()
    {
        var verifier = Pkce.CreateVerifier();
        Assert.Equal(43, verifier.Length);
        Assert.All(verifier, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
        Assert.NotEqual(verifier, Pkce.CreateVerifier());
    }

    [Fact]
    public async Task Onboarding_ConsentThenExchangeThenUserInfo_GivesTokensAndVerifiedEmail()
    {
        var verifier = Pkce.CreateVerifier();
        var url = OAuth.BuildAuthorizationUrl("invite-42", Pkce.ComputeChallenge(verifier), RedirectUri, GoogleScopes.ForHub(true), Alice);

        var callback = await Google.AuthorizeAsync(url, Timeouts.Test);
        var query = QueryHelpers.ParseQuery(callback.Query);
        Assert.StartsWith(RedirectUri + "?", callback.ToString(), StringComparison.Ordinal);
        Assert.Equal("invite-42", query["state"]);

        var tokens = await OAuth.ExchangeCodeAsync(query["code"]!, verifier, RedirectUri, Timeouts.Test);
        Assert.StartsWith("ya29.", tokens.AccessToken, StringComparison.Ordinal);
        Assert.StartsWith("1//", tokens.RefreshToken, StringComparison.Ordinal);
        Assert.True(tokens.ExpiresAt > DateTimeOffset.UtcNow.AddMinutes(50));
        Assert.True(tokens.HasScope(GoogleScopes.GmailSend));
        Assert.True(tokens.HasScope(GoogleScopes.CalendarEvents));
        Assert.NotNull(tokens.IdToken);

        var user = await OAuth.GetUserInfoAsync(tokens.AccessToken, Timeouts.Test);
        Assert.Equal(Alice, user.Email);
        Assert.True(user.EmailVerified);
        Assert.Equal("company.com", user.HostedDomain);
        Assert.Equal(Google.Account(Alice).Subject, user.Subject);
        AssertNotLeaked(tokens.AccessToken);
        AssertNotLeaked(tokens.RefreshToken!);
    }

    [Fact]
    public async Task ExchangeCodeAsync_SendsAFormPostWithClientCredentialsAndVerifier()
    {
        var (code, verifier) = await ConsentAsync();
        await OAuth.ExchangeCodeAsync(code, verifier, RedirectUri, Timeouts.Test);

        var request = Assert.Single(Google.RequestsTo(GoogleEndpoints.Token));
        Assert.Equal("POST", request.Method);
        Assert.StartsWith("application/x-www-form-urlencoded", request.Header("Content-Type"), StringComparison.Ordinal);
        var form = request.Form();
        Assert.Equal("authorization_code", form["grant_type"]);
        Assert.Equal(code, form["code"]);
        Assert.Equal(verifier, form["code_verifier"]);
        Assert.Equal(RedirectUri, form["redirect_uri"]);
        Assert.Equal(Google.ClientId, form["client_id"]);
        Assert.Equal(Google.ClientSecret, form["client_secret"]);
    }

    [Fact]
    public async Task ExchangeCodeAsync_WrongVerifier_FailsWithInvalidGrant()
    {
        var (code, _) = await ConsentAsync();

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => OAuth.ExchangeCodeAsync(code, Pkce.CreateVerifier(), RedirectUri, Timeouts.Test));

        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Equal("invalid_grant", ex.ErrorCode);
        Assert.Equal("Invalid code verifier.", ex.ServiceMessage);
        Assert.False(ex.IsTransient);
        Assert.Equal("Google OAuth", ex.Service);
        AssertNotLeaked(code, ex);
    }

    [Fact]
    public async Task ExchangeCodeAsync_CodeUsedTwice_SecondFailsAndRevokesTheFirstTokens()
    {
        var (code, verifier) = await ConsentAsync();
        var first = await OAuth.ExchangeCodeAsync(code, verifier, RedirectUri, Timeouts.Test);

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => OAuth.ExchangeCodeAsync(code, verifier, RedirectUri, Timeouts.Test));
        Assert.Equal("invalid_grant", ex.ErrorCode);

        var revoked = await Assert.ThrowsAsync<IntegrationException>(() => OAuth.GetUserInfoAsync(first.AccessToken, Timeouts.Test));
        Assert.True(revoked.IsUnauthorized);
        await Assert.ThrowsAsync<IntegrationException>(() => OAuth.RefreshAsync(first.RefreshToken!, Timeouts.Test));
    }

    [Fact]
    public async Task ExchangeCodeAsync_OtherRedirectUri_FailsWithRedirectUriMismatch()
    {
        var (code, verifier) = await ConsentAsync();
        var ex = await Assert.ThrowsAsync<IntegrationException>(() => OAuth.ExchangeCodeAsync(code, verifier, "https://evil.example.com/cb", Timeouts.Test));
        Assert.Equal("redirect_uri_mismatch", ex.ErrorCode);
    }

    [Fact]
    public async Task ExchangeCodeAsync_ExpiredCode_FailsWithInvalidGrant()
    {
        var (code, verifier) = await ConsentAsync();
        Google.ExpireAuthorizationCodes();

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => OAuth.ExchangeCodeAsync(code, verifier, RedirectUri, Timeouts.Test));
        Assert.Equal("invalid_grant", ex.ErrorCode);
        Assert.Equal("Code has expired.", ex.ServiceMessage);
    }

    [Fact]
    public async Task ExchangeCodeAsync_WrongClientSecret_FailsWithInvalidClient()
    {
        var (code, verifier) = await ConsentAsync();
        Google.ClientSecret = "rotated-secret";

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => OAuth.ExchangeCodeAsync(code, verifier, RedirectUri, Timeouts.Test));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Equal("invalid_client", ex.ErrorCode);
        AssertNotLeaked("fake-client-secret", ex);
    }

    [Fact]
    public async Task Consent_PersonCancels_RedirectsWithAccessDeniedAndState()
    {
        Google.DenyConsent = true;
        var url = OAuth.BuildAuthorizationUrl("invite-7", Pkce.ComputeChallenge(Pkce.CreateVerifier()), RedirectUri, GoogleScopes.ForHub(false), Alice);

        var callback = QueryHelpers.ParseQuery((await Google.AuthorizeAsync(url, Timeouts.Test)).Query);

        Assert.Equal("access_denied", callback["error"]);
        Assert.Equal("invite-7", callback["state"]);
        Assert.False(callback.ContainsKey("code"));
    }

    [Fact]
    public async Task Consent_AnotherAccountSignsIn_UserInfoShowsThatAccount()
    {
        Google.AddAccount("mallory@other.com");
        Google.ConsentAccount = "mallory@other.com";
        var (code, verifier) = await ConsentAsync();

        var tokens = await OAuth.ExchangeCodeAsync(code, verifier, RedirectUri, Timeouts.Test);
        var user = await OAuth.GetUserInfoAsync(tokens.AccessToken, Timeouts.Test);

        Assert.Equal("mallory@other.com", user.Email);
    }

    [Fact]
    public async Task Consent_ScopeUnticked_TokensListOnlyGrantedScopes()
    {
        Google.DeclinedScopes.Add(GoogleScopes.GmailSend);
        var (code, verifier) = await ConsentAsync();

        var tokens = await OAuth.ExchangeCodeAsync(code, verifier, RedirectUri, Timeouts.Test);

        Assert.False(tokens.HasScope(GoogleScopes.GmailSend));
        Assert.True(tokens.HasScope(GoogleScopes.GmailReadonly));
    }

    [Fact]
    public async Task RefreshAsync_ValidRefreshToken_GivesNewAccessTokenAndNoNewRefreshToken()
    {
        var refreshToken = Google.IssueRefreshToken(Alice, GoogleScopes.UserInfoEmail, GoogleScopes.GmailReadonly);

        var tokens = await OAuth.RefreshAsync(refreshToken, Timeouts.Test);

        Assert.StartsWith("ya29.", tokens.AccessToken, StringComparison.Ordinal);
        Assert.Null(tokens.RefreshToken);
        Assert.Equal(Alice, (await OAuth.GetUserInfoAsync(tokens.AccessToken, Timeouts.Test)).Email);
        Assert.Equal("refresh_token", Google.RequestsTo(GoogleEndpoints.Token).Single().Form()["grant_type"]);
    }

    [Fact]
    public async Task RefreshAsync_RevokedToken_FailsWithInvalidGrant()
    {
        var refreshToken = Google.IssueRefreshToken(Alice, GoogleScopes.GmailReadonly);
        Google.RevokeRefreshToken(refreshToken);

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => OAuth.RefreshAsync(refreshToken, Timeouts.Test));

        Assert.Equal("invalid_grant", ex.ErrorCode);
        Assert.Equal("Token has been expired or revoked.", ex.ServiceMessage);
        Assert.False(ex.IsTransient);
        AssertNotLeaked(refreshToken, ex);
    }

    [Fact]
    public async Task RefreshAsync_TokenEndpointUnavailable_IsTransient()
    {
        Google.FailNext(1, 503, "The service is currently unavailable.", GoogleEndpoints.Token);

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => OAuth.RefreshAsync(Google.IssueRefreshToken(Alice), Timeouts.Test));

        Assert.True(ex.IsTransient);
        Assert.Equal("temporarily_unavailable", ex.ErrorCode);
        Assert.Equal("The service is currently unavailable.", ex.ServiceMessage);
    }

    [Fact]
    public async Task GetUserInfoAsync_UnverifiedEmail_ReportsIt()
    {
        Google.Account(Alice).EmailVerified = false;
        var token = Google.IssueAccessToken(Alice, GoogleScopes.UserInfoEmail);

        Assert.False((await OAuth.GetUserInfoAsync(token, Timeouts.Test)).EmailVerified);
    }

    [Fact]
    public async Task GetUserInfoAsync_ExpiredAccessToken_IsUnauthorized()
    {
        var token = Google.IssueAccessToken(Alice, GoogleScopes.UserInfoEmail);
        Google.ExpireAccessToken(token);

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => OAuth.GetUserInfoAsync(token, Timeouts.Test));

        Assert.True(ex.IsUnauthorized);
        Assert.Equal("invalid_token", ex.ErrorCode);
        AssertNotLeaked(token, ex);
    }

    [Fact]
    public void GoogleTokens_ToString_PrintsNoToken()
    {
        var tokens = new GoogleTokens { AccessToken = "ya29.secret-access", RefreshToken = "1//secret-refresh", IdToken = "a.b.c", ExpiresAt = DateTimeOffset.UnixEpoch, Scopes = ["openid"] };

        var text = tokens.ToString();

        Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("a.b.c", text, StringComparison.Ordinal);
        Assert.Contains("HasRefreshToken = True", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_WithoutCredentials_IsNotConfiguredAndSaysWhatToSet()
    {
        await using var host = new ClientHost([]);
        var client = host.Get<IGoogleOAuthClient>();

        Assert.False(client.IsConfigured);
        var ex = Assert.Throws<ToolNotConfiguredException>(() => client.BuildAuthorizationUrl("s", "c", RedirectUri, ["openid"]));
        Assert.Equal("Google is not configured: set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET", ex.Message);
        await Assert.ThrowsAsync<ToolNotConfiguredException>(() => client.RefreshAsync("1//x", Timeouts.Test));
    }

    private async Task<(string Code, string Verifier)> ConsentAsync()
    {
        var verifier = Pkce.CreateVerifier();
        var url = OAuth.BuildAuthorizationUrl("state", Pkce.ComputeChallenge(verifier), RedirectUri, GoogleScopes.ForHub(false), Alice);
        var callback = QueryHelpers.ParseQuery((await Google.AuthorizeAsync(url, Timeouts.Test)).Query);
        return (callback["code"]!, verifier);
    }
}
