using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace CompanyHub.Fakes.Google;

public sealed partial class FakeGoogle
{
    private void MapOAuth(WebApplication app)
    {
        app.MapGet("/o/oauth2/v2/auth", Authorize).WithName(GoogleEndpoints.Authorize);
        app.MapPost("/token", (Delegate)TokenAsync).WithName(GoogleEndpoints.Token);
        app.MapGet("/v1/userinfo", UserInfo).WithName(GoogleEndpoints.UserInfo);
    }

    private IResult Authorize(HttpContext context)
    {
        var parameters = context.Request.Query.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        string? P(string name) => parameters.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

        // Errors about the client or the redirect URI are shown to the person; they must not redirect anywhere.
        if (P("client_id") != ClientId)
        {
            return Page(401, "invalid_client", "The OAuth client was not found.");
        }

        var redirectUri = P("redirect_uri");
        if (redirectUri is null || !Uri.TryCreate(redirectUri, UriKind.Absolute, out _)
            || (RegisteredRedirectUris.Count > 0 && !RegisteredRedirectUris.Contains(redirectUri)))
        {
            return Page(400, "redirect_uri_mismatch", $"The redirect URI in the request, {redirectUri}, does not match the ones authorized for the OAuth client.");
        }

        if (P("response_type") != "code")
        {
            return Page(400, "unsupported_response_type", $"Invalid response_type: {P("response_type")}");
        }

        if (P("scope") is not { } scope)
        {
            return Page(400, "invalid_request", "Missing required parameter: scope");
        }

        var method = P("code_challenge_method");
        if (P("code_challenge") is { } challenge)
        {
            method ??= "plain";
            if (method is not ("S256" or "plain"))
            {
                return Page(400, "invalid_request", $"Invalid code_challenge_method: {method}");
            }

            if (challenge.Length is < 43 or > 128)
            {
                return Page(400, "invalid_request", "Invalid code_challenge length.");
            }
        }
        else if (method is not null)
        {
            return Page(400, "invalid_request", "code_challenge_method without code_challenge.");
        }

        if (DenyConsent)
        {
            return Redirect(redirectUri, null, "access_denied", [new("error", "access_denied"), new("state", P("state"))]);
        }

        FakeGoogleAccount? account;
        lock (_gate)
        {
            account = ConsentAccount is { } chosen ? _accounts.GetValueOrDefault(chosen)
                : P("login_hint") is { } hint && _accounts.TryGetValue(hint, out var hinted) ? hinted
                : _accounts.Values.FirstOrDefault();
        }

        if (account is null)
        {
            return Page(400, "no_account", "No account of the fake can sign in (AddAccount first).");
        }

        var granted = NormalizeScopes(scope.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(s => !DeclinedScopes.Contains(s)).ToList();
        var code = new AuthorizationCode
        {
            Code = "4/0A" + NewToken(),
            ClientId = ClientId,
            RedirectUri = redirectUri,
            Email = account.Email,
            Scopes = granted,
            CodeChallenge = P("code_challenge"),
            CodeChallengeMethod = P("code_challenge") is null ? null : method,
            Nonce = P("nonce"),
            Offline = P("access_type") == "offline",
            ExpiresAt = DateTimeOffset.UtcNow + CodeLifetime,
        };
        lock (_gate)
        {
            _codes[code.Code] = code;
        }

        return Redirect(redirectUri, account.Email, "code",
        [
            new("state", P("state")),
            new("code", code.Code),
            new("scope", string.Join(' ', granted)),
            new("authuser", "0"),
            new("prompt", "consent"),
        ]);

        IResult Page(int status, string error, string description)
        {
            lock (_gate)
            {
                _authorizations.Add(new RecordedAuthorization(parameters, null, error));
            }

            return Results.Text($"<html><body><h1>Error {status}: {error}</h1><p>{WebUtility.HtmlEncode(description)}</p></body></html>", "text/html", Encoding.UTF8, status);
        }

        IResult Redirect(string target, string? email, string outcome, List<KeyValuePair<string, string?>> query)
        {
            lock (_gate)
            {
                _authorizations.Add(new RecordedAuthorization(parameters, email, outcome));
            }

            return Results.Redirect(QueryHelpers.AddQueryString(target, query.Where(q => q.Value is not null)));
        }
    }

    private async Task<IResult> TokenAsync(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            return OAuthError(400, "invalid_request", "Invalid content type: the token request must be application/x-www-form-urlencoded.");
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        string? F(string name) => form.TryGetValue(name, out var v) && v.ToString().Length > 0 ? v.ToString() : null;

        var (clientId, clientSecret) = (F("client_id"), F("client_secret"));
        var basic = context.Request.Headers.Authorization.ToString();
        if (basic.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(basic[6..])).Split(':', 2);
            (clientId, clientSecret) = (Uri.UnescapeDataString(pair[0]), pair.Length > 1 ? Uri.UnescapeDataString(pair[1]) : null);
        }

        if (clientId != ClientId)
        {
            return OAuthError(401, "invalid_client", "The OAuth client was not found.");
        }

        if (clientSecret is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(clientSecret), Encoding.UTF8.GetBytes(ClientSecret)))
        {
            return OAuthError(401, "invalid_client", "Unauthorized");
        }

        return F("grant_type") switch
        {
            "authorization_code" => RedeemCode(F("code"), F("redirect_uri"), F("code_verifier")),
            "refresh_token" => Refresh(F("refresh_token")),
            null => OAuthError(400, "invalid_request", "Missing required parameter: grant_type"),
            var other => OAuthError(400, "unsupported_grant_type", $"Invalid grant_type: {other}"),
        };
    }

    private IResult RedeemCode(string? codeValue, string? redirectUri, string? verifier)
    {
        if (codeValue is null)
        {
            return OAuthError(400, "invalid_request", "Missing required parameter: code");
        }

        if (redirectUri is null)
        {
            return OAuthError(400, "invalid_request", "Missing required parameter: redirect_uri");
        }

        lock (_gate)
        {
            if (!_codes.TryGetValue(codeValue, out var code) || code.ClientId != ClientId)
            {
                return OAuthError(400, "invalid_grant", "Malformed auth code.");
            }

            if (code.Redeemed)
            {
                // RFC 6749 §4.1.2: a code used twice revokes what it already gave out.
                foreach (var token in code.IssuedTokens)
                {
                    if (_accessTokens.TryGetValue(token, out var a))
                    {
                        a.Revoked = true;
                    }

                    if (_refreshTokens.TryGetValue(token, out var r))
                    {
                        r.Revoked = true;
                    }
                }

                return OAuthError(400, "invalid_grant", "Code was already redeemed.");
            }

            if (code.ExpiresAt <= DateTimeOffset.UtcNow)
            {
                return OAuthError(400, "invalid_grant", "Code has expired.");
            }

            if (code.RedirectUri != redirectUri)
            {
                return OAuthError(400, "redirect_uri_mismatch", "Bad Request");
            }

            if (code.CodeChallenge is { } challenge)
            {
                if (verifier is null)
                {
                    return OAuthError(400, "invalid_grant", "Missing code verifier.");
                }

                var expected = code.CodeChallengeMethod == "S256"
                    ? Base64UrlToken(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)))
                    : verifier;
                if (verifier.Length is < 43 or > 128 || expected != challenge)
                {
                    return OAuthError(400, "invalid_grant", "Invalid code verifier.");
                }
            }
            else if (verifier is not null)
            {
                return OAuthError(400, "invalid_grant", "Invalid code verifier.");
            }

            code.Redeemed = true;
            var accessToken = NewAccessToken(code.Email, code.Scopes);
            code.IssuedTokens.Add(accessToken);
            var response = TokenResponse(accessToken, code.Email, code.Scopes, code.Nonce);
            if (code.Offline)
            {
                var refreshToken = "1//" + NewToken();
                _refreshTokens[refreshToken] = new Grant(code.Email, ClientId, code.Scopes, DateTimeOffset.MaxValue);
                code.IssuedTokens.Add(refreshToken);
                response["refresh_token"] = refreshToken;
            }

            return Json(response);
        }
    }

    private IResult Refresh(string? refreshToken)
    {
        if (refreshToken is null)
        {
            return OAuthError(400, "invalid_request", "Missing required parameter: refresh_token");
        }

        lock (_gate)
        {
            if (!_refreshTokens.TryGetValue(refreshToken, out var grant) || grant.Revoked || grant.ClientId != ClientId)
            {
                return OAuthError(400, "invalid_grant", "Token has been expired or revoked.");
            }

            return Json(TokenResponse(NewAccessToken(grant.Email, grant.Scopes), grant.Email, grant.Scopes, nonce: null));
        }
    }

    private JsonObject TokenResponse(string accessToken, string email, IReadOnlyList<string> scopes, string? nonce)
    {
        var response = new JsonObject
        {
            ["access_token"] = accessToken,
            ["expires_in"] = (int)AccessTokenLifetime.TotalSeconds - 1,
            ["scope"] = string.Join(' ', scopes),
            ["token_type"] = "Bearer",
        };
        if (scopes.Contains("openid"))
        {
            response["id_token"] = IdToken(email, nonce);
        }

        return response;
    }

    /// <summary>An id_token shaped like Google's (the signature is random: the fake has no signing key).</summary>
    private string IdToken(string email, string? nonce)
    {
        var account = _accounts[email];
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject { ["alg"] = "RS256", ["kid"] = "fake", ["typ"] = "JWT" };
        var payload = new JsonObject
        {
            ["iss"] = "https://accounts.google.com",
            ["azp"] = ClientId,
            ["aud"] = ClientId,
            ["sub"] = account.Subject,
            ["email"] = account.Email,
            ["email_verified"] = account.EmailVerified,
            ["iat"] = now,
            ["exp"] = now + 3600,
        };
        if (nonce is not null)
        {
            payload["nonce"] = nonce;
        }

        return string.Join('.', Base64UrlToken(Encoding.UTF8.GetBytes(header.ToJsonString())), Base64UrlToken(Encoding.UTF8.GetBytes(payload.ToJsonString())), NewToken());
    }

    private IResult UserInfo(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..].Trim() : null;
        lock (_gate)
        {
            if (token is null || !_accessTokens.TryGetValue(token, out var grant) || grant.Revoked || grant.ExpiresAt <= DateTimeOffset.UtcNow)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                return OAuthError(401, "invalid_token", "Invalid Credentials");
            }

            var account = _accounts[grant.Email];
            var info = new JsonObject { ["sub"] = account.Subject };
            if (account.Name is not null)
            {
                info["name"] = account.Name;
            }

            if (grant.Scopes.Contains("https://www.googleapis.com/auth/userinfo.email"))
            {
                info["email"] = account.Email;
                info["email_verified"] = account.EmailVerified;
                var domain = account.Email[(account.Email.IndexOf('@', StringComparison.Ordinal) + 1)..];
                if (!domain.Equals("gmail.com", StringComparison.OrdinalIgnoreCase))
                {
                    info["hd"] = domain;
                }
            }

            return Json(info);
        }
    }

    private static IResult OAuthError(int status, string error, string description) =>
        Json(new JsonObject { ["error"] = error, ["error_description"] = description }, status);
}
