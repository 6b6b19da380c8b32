using System.Net;
using System.Security.Cryptography;
using System.Text;
using CompanyHub.Activities;
using CompanyHub.Entities;
using CompanyHub.Integrations;
using CompanyHub.Integrations.Google;
using CompanyHub.Orchestrations;
using CompanyHub.Orchestrations.Agents;
using CompanyHub.Orchestrations.Onboarding;
using CompanyHub.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Serverless.Functions.Http;

namespace CompanyHub.Functions;

/// <summary>
/// The pages people open from an invite: the invite page, Google sign-in (start and callback), the development sign-in,
/// and the admin's connection of the invite-sending Google account. They live outside <c>/api</c> (the functions route
/// prefix), as plain endpoints of the same host.
/// </summary>
public static class OnboardingPages
{
    public const string SenderAttempt = "sender";

    /// <summary>The purpose of an attempt that reconnects an existing agent's Google account (<see cref="OAuthAttempt.AgentId"/>).</summary>
    public const string ReconnectAttempt = "reconnect";
    public const string RefreshTokenPurpose = "google-refresh-token";

    /// <summary>The name of the cookie that binds a sign-in attempt to its browser is this prefix and the attempt's id.</summary>
    public const string NonceCookiePrefix = "hub_oauth_";
    private const string CallbackPath = "/oauth/google/callback";
    private static readonly TimeSpan AttemptLifetime = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan ResultWait = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapOnboardingPages(this IEndpointRouteBuilder app)
    {
        foreach (var page in new[]
        {
            app.MapGet("/invite/{code}", InvitePageAsync),
            app.MapPost("/invite/{code}/dev-sign-in", DevSignInAsync).DisableAntiforgery(),
            app.MapGet("/oauth/google/start", StartAsync),
            app.MapGet(CallbackPath, CallbackAsync),
            app.MapGet("/oauth/google/connect-sender", ConnectSenderAsync),
        })
        {
            page.AddEndpointFilter(StoreUnavailablePageAsync);
        }

        return app;
    }

    /// <summary>
    /// A store that cannot write (disk full, read-only) is the host's 503 with <c>Retry-After</c>, as a page: nothing was
    /// saved, so the same request succeeds once the storage is back (the callback keeps what Google already answered,
    /// see <see cref="UnsavedSignIns"/>).
    /// </summary>
    private static async ValueTask<object?> StoreUnavailablePageAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception ex) when (StoreUnavailableAnswer.Matches(ex) && !context.HttpContext.Response.HasStarted)
        {
            var http = context.HttpContext;
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OnboardingPages).FullName!).LogWarning("A sign-in page could not save: {Reason}", ex.Message);
            // Whatever the page had set for an outcome that did not happen goes.
            http.Response.Clear();
            NoStore(http);
            StoreUnavailableAnswer.AddRetryAfter(http.Response);
            await Pages.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, "Try again in a moment",
                "The hub cannot save right now (its storage is full or read-only). Nothing is lost: reload this page in a moment to go on.");
            return Results.Empty;
        }
    }

    private static async Task InvitePageAsync(HttpContext http, string code, DurableTaskClient client, IGoogleOAuthClient google, DevSignIn devSignIn, IOptions<HubOptions> options)
    {
        NoStore(http);
        var invite = await FindInviteAsync(client, code, http.RequestAborted);
        if (await RefuseInviteAsync(http, invite))
        {
            return;
        }

        var company = WebUtility.HtmlEncode(options.Value.CompanyName);
        var email = WebUtility.HtmlEncode(invite!.Email);
        string action;
        if (google.IsConfigured)
        {
            action = $"<p><a class=\"button\" href=\"/oauth/google/start?invite={WebUtility.UrlEncode(code)}\">Sign in with Google</a></p>";
        }
        else if (devSignIn.Enabled)
        {
            action = $"""
                <section class="dev-sign-in" aria-labelledby="dev-title">
                <h2 id="dev-title">Development sign-in</h2>
                <p class="warning">Google sign-in is not configured on this hub (GOOGLE_CLIENT_ID is not set). This development sign-in trusts the email you type; it is switched off as soon as Google credentials are configured.</p>
                <form method="post" action="/invite/{WebUtility.UrlEncode(code)}/dev-sign-in">
                <label for="email">Your email</label>
                <input id="email" name="email" type="email" required autocomplete="email" value="">
                <button type="submit">Sign in (development)</button>
                </form>
                </section>
                """;
        }
        else
        {
            action = "<p class=\"warning\">Sign-in is not available: Google sign-in is not configured on this hub, and its development sign-in is off. Ask your admin.</p>";
        }

        await Pages.WriteAsync(http, StatusCodes.Status200OK, $"Join {options.Value.CompanyName}",
            $"You are invited to get your own assistant at {options.Value.CompanyName}. Sign in with the Google account of {invite.Email} to prove it is you.",
            extraHtml: $"<p>Invite for <strong>{email}</strong> at <strong>{company}</strong>, valid until {invite.ExpiresAt:yyyy-MM-dd HH:mm} UTC.</p>{action}");
    }

    private static async Task DevSignInAsync(HttpContext http, string code, DurableTaskClient client, DevSignIn devSignIn, SecretBox box, IAuditLog audit)
    {
        NoStore(http);
        if (!devSignIn.Enabled)
        {
            await Pages.WriteAsync(http, StatusCodes.Status404NotFound, "Not available", "The development sign-in is switched off on this hub. Use Sign in with Google.");
            return;
        }

        var invite = await FindInviteAsync(client, code, http.RequestAborted);
        if (await RefuseInviteAsync(http, invite))
        {
            return;
        }

        var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : null;
        var email = form?["email"].ToString().Trim() ?? "";
        if (!string.Equals(email, invite!.Email, StringComparison.OrdinalIgnoreCase))
        {
            await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "anonymous", "onboarding.sign-in-refused", null, invite.InstanceId, "development sign-in with another email", TokenAuthenticator.AddressOf(http), "refused"), http.RequestAborted);
            await Pages.WriteAsync(http, StatusCodes.Status403Forbidden, "Wrong email", $"This invite is for another address. Type the email the invite was sent to.", $"/invite/{code}", "Try again");
            return;
        }

        await CompleteAsync(http, client, box, invite, new OAuthCompleted(invite.Email, true, null, null, DevSignIn: true));
    }

    private static async Task StartAsync(HttpContext http, DurableTaskClient client, IGoogleOAuthClient google, KeyRing keys, SecretBox box, IOptions<HubOptions> options, IOptions<GoogleOptions> googleOptions)
    {
        NoStore(http);
        var code = http.Request.Query["invite"].ToString();
        if (!google.IsConfigured)
        {
            await Pages.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, "Google sign-in is not configured", "This hub has no Google OAuth client (GOOGLE_CLIENT_ID). Ask your admin.");
            return;
        }

        var invite = await FindInviteAsync(client, code, http.RequestAborted);
        if (await RefuseInviteAsync(http, invite))
        {
            return;
        }

        await RedirectToGoogleAsync(http, client, keys, box, google, options.Value, googleOptions.Value, UserTokens.Hash(code), invite!.Email);
    }

    private static async Task ConnectSenderAsync(HttpContext http, DurableTaskClient client, IGoogleOAuthClient google, KeyRing keys, SecretBox box, TokenAuthenticator authenticator, IOptions<HubOptions> options, IOptions<GoogleOptions> googleOptions)
    {
        NoStore(http);
        var address = TokenAuthenticator.AddressOf(http);
        var auth = await authenticator.AuthenticateAsync(http);
        if (auth.Caller is not { IsAdmin: true })
        {
            // A wrong token here counts against the address like anywhere else, so this page is no way around the limit.
            if (auth.Presented && auth.Caller is null)
            {
                if (authenticator.IsLockedOut(address))
                {
                    TokenAuthenticator.AddRetryAfter(http.Response);
                    await Pages.WriteAsync(http, StatusCodes.Status429TooManyRequests, "Too many attempts", "Too many failed sign-in attempts came from this address. Wait a few minutes and try again.");
                    return;
                }

                authenticator.RecordFailure(address);
            }

            await Pages.WriteAsync(http, StatusCodes.Status404NotFound, "Not found", "This page is for the admin.");
            return;
        }

        if (!google.IsConfigured)
        {
            await Pages.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, "Google sign-in is not configured", "Set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET first; invites can still be shared by hand meanwhile.");
            return;
        }

        await RedirectToGoogleAsync(http, client, keys, box, google, options.Value, googleOptions.Value, SenderAttempt, null);
    }

    private static async Task CallbackAsync(HttpContext http, DurableTaskClient client, IGoogleOAuthClient google, KeyRing keys, SecretBox box, IAuditLog audit, UnsavedSignIns unsaved, IOptions<HubOptions> options)
    {
        NoStore(http);
        var query = http.Request.Query;
        var stateId = VerifyState(keys, query["state"].ToString());
        if (stateId is null)
        {
            await Pages.WriteAsync(http, StatusCodes.Status400BadRequest, "Sign-in link not valid", "The sign-in response is missing its state or it was altered. Start again from your invite link.");
            return;
        }

        // Only the browser that started the attempt holds its nonce: a callback URL opened anywhere else uses nothing.
        var nonce = http.Request.Cookies[NonceCookie(stateId)];
        if (string.IsNullOrEmpty(nonce))
        {
            await OtherBrowserAsync(http);
            return;
        }

        if (unsaved.Find(stateId) is { } kept)
        {
            if (!NonceMatches(kept.Attempt, nonce))
            {
                await OtherBrowserAsync(http);
                return;
            }

            await FinishAsync(http, client, box, audit, unsaved, stateId, kept.Attempt, kept.SignIn);
            return;
        }

        // Read first, so that a wrong browser consumes nothing; then use the attempt once (a second use sees Used).
        var attempt = (await client.Entities.GetEntityAsync<OAuthAttempt>(OAuthStateEntity.Id(stateId), http.RequestAborted))?.State;
        if (await RefuseAttemptAsync(http, attempt))
        {
            return;
        }

        if (!NonceMatches(attempt!, nonce))
        {
            await OtherBrowserAsync(http);
            return;
        }

        attempt = await EntityCalls.CallAsync<OAuthAttempt?>(client, OAuthStateEntity.Id(stateId), nameof(OAuthStateEntity.Use), null, http.RequestAborted);
        if (await RefuseAttemptAsync(http, attempt))
        {
            return;
        }

        var forInvite = attempt!.InviteHash is not (SenderAttempt or ReconnectAttempt);
        var invite = forInvite ? (await client.Entities.GetEntityAsync<InviteState>(InviteEntity.Id(attempt.InviteHash), http.RequestAborted))?.State : null;
        if (query["error"].ToString() is { Length: > 0 } error)
        {
            var unchanged = attempt.InviteHash == ReconnectAttempt
                ? "Nothing changed: your agent keeps its Google connection as it was, and you can reconnect again from your dashboard."
                : "Nothing was created; your invite still works, so you can try again.";
            var message = error == "access_denied"
                ? $"You declined the access the hub asked for at Google. {unchanged}"
                : $"Google answered '{error}'. {unchanged}";
            await Pages.WriteAsync(http, StatusCodes.Status400BadRequest, "Sign-in cancelled", message);
            return;
        }

        if (forInvite && await RefuseInviteAsync(http, invite))
        {
            return;
        }

        GoogleSignIn signIn;
        try
        {
            var verifier = box.Open(attempt.SealedVerifier, "pkce-verifier");
            var tokens = await google.ExchangeCodeAsync(query["code"].ToString(), verifier, options.Value.Link(CallbackPath), http.RequestAborted);
            var user = await google.GetUserInfoAsync(tokens.AccessToken, http.RequestAborted);
            signIn = new GoogleSignIn(user.Email, user.EmailVerified, user.Name, tokens.RefreshToken is { } refresh ? box.Seal(refresh, RefreshTokenPurpose) : null, tokens.Scopes, user.Subject is { Length: > 0 } subject ? subject : null);
        }
        catch (Exception ex) when (ex is IntegrationException or SecretBoxException or ArgumentException)
        {
            await Pages.WriteAsync(http, StatusCodes.Status502BadGateway, "Google sign-in failed", $"Google did not complete the sign-in: {ex.Message} Start again from your invite link.");
            return;
        }

        await FinishAsync(http, client, box, audit, unsaved, stateId, attempt, signIn);
    }

    /// <summary>
    /// Hands Google's answer to the hub: connects the sender account, or completes the invite's onboarding. When the store
    /// cannot take it, the answer is kept for the browser's retry (the code it came from is spent) and the 503 follows.
    /// </summary>
    private static async Task FinishAsync(HttpContext http, DurableTaskClient client, SecretBox box, IAuditLog audit, UnsavedSignIns unsaved, string stateId, OAuthAttempt attempt, GoogleSignIn signIn)
    {
        try
        {
            await (attempt.InviteHash switch
            {
                SenderAttempt => ConnectSenderAccountAsync(http, client, audit, signIn),
                ReconnectAttempt => ReconnectAccountAsync(http, client, audit, attempt.AgentId!, signIn),
                _ => SignInToInviteAsync(http, client, box, audit, attempt.InviteHash, signIn),
            });
        }
        catch (Exception ex) when (StoreUnavailableAnswer.Matches(ex))
        {
            unsaved.Keep(stateId, attempt, signIn);
            throw;
        }

        unsaved.Forget(stateId);
    }

    private static async Task ConnectSenderAccountAsync(HttpContext http, DurableTaskClient client, IAuditLog audit, GoogleSignIn signIn)
    {
        if (signIn.SealedRefreshToken is not { } sealedRefresh || !signIn.EmailVerified)
        {
            await Pages.WriteAsync(http, StatusCodes.Status400BadRequest, "Not connected", "Google did not return a verified account with offline access. Try again.");
            return;
        }

        await EntityCalls.CallAsync(client, AgentEntity.Id(SystemPrompts.OrchestratorId), nameof(AgentEntity.ConnectGoogle), new GoogleConnection(signIn.Email, sealedRefresh), http.RequestAborted);
        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "admin", "sender.connected", SystemPrompts.OrchestratorId, signIn.Email, "the invite sender account was connected", TokenAuthenticator.AddressOf(http), "ok"), http.RequestAborted);
        await Pages.WriteAsync(http, StatusCodes.Status200OK, "Sender connected", $"Invites are now sent from {signIn.Email}.", "/", "Back to the dashboard");
    }

    /// <summary>
    /// Replaces an existing agent's sealed refresh token with the one Google just issued — only for the same person: a
    /// verified Google account with the agent's email and, when one was recorded, the same account id (<c>sub</c>).
    /// Anything else is refused with a page, audited, and changes nothing.
    /// </summary>
    private static async Task ReconnectAccountAsync(HttpContext http, DurableTaskClient client, IAuditLog audit, string agentId, GoogleSignIn signIn)
    {
        var agent = (await client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(agentId), http.RequestAborted))?.State;
        if (agent is not { Status: AgentStatus.Active })
        {
            await Pages.WriteAsync(http, StatusCodes.Status410Gone, "Agent no longer active", "This agent was offboarded meanwhile, so there is nothing to reconnect.");
            return;
        }

        var sameAccount = signIn.EmailVerified && string.Equals(signIn.Email, agent.Email, StringComparison.OrdinalIgnoreCase)
            && (agent.GoogleSubject is null || string.Equals(signIn.Subject, agent.GoogleSubject, StringComparison.Ordinal));
        if (!sameAccount || signIn.SealedRefreshToken is null)
        {
            var why = sameAccount ? "Google returned no offline access" : "signed in as another or unverified Google account";
            await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, $"user:{agentId}", "google.reconnect-refused", agentId, agentId, why, TokenAuthenticator.AddressOf(http), "refused"), http.RequestAborted);
            await Pages.WriteAsync(http, StatusCodes.Status403Forbidden, sameAccount ? "Not reconnected" : "Wrong Google account",
                sameAccount
                    ? "Google did not grant offline access, so nothing changed. Try again from your dashboard."
                    : $"You signed in as {signIn.Email}{(signIn.EmailVerified ? "" : " (not verified)")}, but this agent belongs to {agent.Email}. Nothing changed: reconnect from your dashboard with that Google account.",
                "/", "Back to the dashboard");
            return;
        }

        var scopes = signIn.Scopes ?? [];
        await EntityCalls.CallAsync(client, AgentEntity.Id(agentId), nameof(AgentEntity.ReconnectGoogle), new GoogleReconnection(signIn.SealedRefreshToken, scopes, signIn.Subject), http.RequestAborted);
        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, $"user:{agentId}", "google.reconnected", agentId, agentId,
            $"Google reconnected: the stored refresh token was replaced (scopes: {string.Join(' ', scopes)})", TokenAuthenticator.AddressOf(http), "ok"), http.RequestAborted);
        await Pages.WriteAsync(http, StatusCodes.Status200OK, "Google reconnected", $"Your agent uses the Google account {agent.Email} again, with the access you just granted.", "/", "Back to the dashboard");
    }

    private static async Task SignInToInviteAsync(HttpContext http, DurableTaskClient client, SecretBox box, IAuditLog audit, string inviteHash, GoogleSignIn signIn)
    {
        // Read again: on a retry the invite may have ended meanwhile.
        var invite = (await client.Entities.GetEntityAsync<InviteState>(InviteEntity.Id(inviteHash), http.RequestAborted))?.State;
        if (await RefuseInviteAsync(http, invite))
        {
            return;
        }

        if (!signIn.EmailVerified || !string.Equals(signIn.Email, invite!.Email, StringComparison.OrdinalIgnoreCase))
        {
            await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "anonymous", "onboarding.sign-in-refused", null, invite!.InstanceId, $"signed in as another or unverified account", TokenAuthenticator.AddressOf(http), "refused"), http.RequestAborted);
            await Pages.WriteAsync(http, StatusCodes.Status403Forbidden, "Wrong Google account",
                $"You signed in as {signIn.Email}{(signIn.EmailVerified ? "" : " (not verified)")}, but this invite is for {invite.Email}. Sign in with that account; the invite still works.");
            return;
        }

        await CompleteAsync(http, client, box, invite, new OAuthCompleted(signIn.Email, true, signIn.SealedRefreshToken, signIn.Name, GoogleScopes: signIn.Scopes, GoogleSubject: signIn.Subject));
    }

    private static async Task CompleteAsync(HttpContext http, DurableTaskClient client, SecretBox box, InviteState invite, OAuthCompleted completed)
    {
        if (!await InstanceEvents.TryRaiseAsync(client, invite.InstanceId, OAuthCompleted.EventName, completed, http.RequestAborted))
        {
            await Pages.WriteAsync(http, StatusCodes.Status410Gone, "Invite no longer valid", "This onboarding has ended. Ask your admin for a new invite.");
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        timeout.CancelAfter(ResultWait);
        OnboardingStatus? status = null;
        try
        {
            var done = await client.WaitForInstanceCompletionAsync(invite.InstanceId, true, timeout.Token);
            status = done.ReadOutputAs<OnboardingStatus>();
        }
        catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
        {
            // Still running: say so below.
        }

        if (status is { Step: OnboardingSteps.Active, SealedToken: { } sealedToken, AgentId: { } agentId })
        {
            var token = box.Open(sealedToken, MintUserToken.Purpose + ":" + agentId);
            var options = http.RequestServices.GetRequiredService<IOptions<HubOptions>>().Value;
            var link = options.Link("/?token=" + token);
            await Pages.WriteAsync(http, StatusCodes.Status200OK, "You're all set",
                "Your assistant is ready. This is your private dashboard link: bookmark it and keep it to yourself — anyone with it reaches your agent. It was also emailed to you when email is configured.",
                link, "Open my dashboard", $"<p class=\"secret-link\"><code>{WebUtility.HtmlEncode(link)}</code></p>");
            return;
        }

        if (status is not null && status.Step != OnboardingSteps.Active)
        {
            // The onboarding ended without an agent (refused as a duplicate, cancelled meanwhile, ...): say why.
            await Pages.WriteAsync(http, StatusCodes.Status409Conflict, "Your assistant was not created", status.Message ?? status.Step);
            return;
        }

        await Pages.WriteAsync(http, StatusCodes.Status202Accepted, "Almost done",
            status?.Message ?? "Your sign-in was accepted and your assistant is being created. Your dashboard link will be emailed to you; if it does not arrive, ask your admin.");
    }

    /// <summary>
    /// Starts a sign-in attempt: the attempt entity (invite, sealed PKCE verifier, expiry, hash of a fresh nonce), the
    /// nonce in an HttpOnly cookie for the callback only, and the redirect to Google's consent with the signed state.
    /// </summary>
    private static async Task RedirectToGoogleAsync(HttpContext http, DurableTaskClient client, KeyRing keys, SecretBox box, IGoogleOAuthClient google, HubOptions options, GoogleOptions googleOptions, string inviteHash, string? loginHint)
    {
        var url = await StartAttemptAsync(http, client, keys, box, google, options, googleOptions, inviteHash, loginHint, agentId: null);
        // AbsoluteUri keeps the query's percent-encoding; Uri.ToString() would turn %20 back into raw spaces.
        http.Response.Redirect(url.AbsoluteUri);
    }

    /// <summary>
    /// Starts a reconnect of <paramref name="agent"/>'s Google account for its signed-in person: the same attempt, cookie
    /// and consent as a sign-in, marked with the agent, for the agent's email. Answers the consent URL to open.
    /// </summary>
    public static Task<Uri> StartReconnectAsync(HttpContext http, DurableTaskClient client, AgentState agent)
    {
        var services = http.RequestServices;
        return StartAttemptAsync(http, client, services.GetRequiredService<KeyRing>(), services.GetRequiredService<SecretBox>(), services.GetRequiredService<IGoogleOAuthClient>(),
            services.GetRequiredService<IOptions<HubOptions>>().Value, services.GetRequiredService<IOptions<GoogleOptions>>().Value, ReconnectAttempt, agent.Email, agent.AgentId);
    }

    private static async Task<Uri> StartAttemptAsync(HttpContext http, DurableTaskClient client, KeyRing keys, SecretBox box, IGoogleOAuthClient google, HubOptions options, GoogleOptions googleOptions, string inviteHash, string? loginHint, string? agentId)
    {
        var stateId = Base64Url.Encode(RandomNumberGenerator.GetBytes(16));
        var nonce = Base64Url.Encode(RandomNumberGenerator.GetBytes(32));
        var verifier = Pkce.CreateVerifier();
        await EntityCalls.CallAsync(client, OAuthStateEntity.Id(stateId), nameof(OAuthStateEntity.Create),
            new OAuthAttempt(inviteHash, box.Seal(verifier, "pkce-verifier"), DateTimeOffset.UtcNow + AttemptLifetime, false, UserTokens.Hash(nonce), agentId), http.RequestAborted);
        // HttpOnly; SameSite=Lax, because the callback is Google's top-level redirect, a cross-site navigation that Strict
        // would send without it; Secure on https; sent to the callback only, while the attempt lives (a reload of the
        // callback then says "already used", not "another browser").
        http.Response.Cookies.Append(NonceCookie(stateId), nonce, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = options.IsHttps || http.Request.IsHttps,
            Path = new Uri(options.Link(CallbackPath)).AbsolutePath,
            MaxAge = AttemptLifetime,
            IsEssential = true,
        });
        var state = $"{stateId}.{Sign(keys, stateId)}";
        return google.BuildAuthorizationUrl(state, Pkce.ComputeChallenge(verifier), options.Link(CallbackPath), GoogleScopes.ForHub(googleOptions), loginHint);
    }

    private static string NonceCookie(string stateId) => NonceCookiePrefix + stateId;

    private static bool NonceMatches(OAuthAttempt attempt, string nonce) =>
        attempt.NonceHash is { } hash && UserTokens.FixedTimeEquals(hash, UserTokens.Hash(nonce));

    /// <summary>Writes the page for an unknown, used or expired attempt; false when it can go on.</summary>
    private static async Task<bool> RefuseAttemptAsync(HttpContext http, OAuthAttempt? attempt)
    {
        if (attempt is { Used: false } && attempt.ExpiresAt >= DateTimeOffset.UtcNow)
        {
            return false;
        }

        var why = attempt is null ? "is not known" : attempt.Used ? "was already used" : "has expired";
        await Pages.WriteAsync(http, StatusCodes.Status400BadRequest, "Sign-in link not valid", $"This sign-in attempt {why}. Start again from your invite link.");
        return true;
    }

    private static Task OtherBrowserAsync(HttpContext http) =>
        Pages.WriteAsync(http, StatusCodes.Status400BadRequest, "Sign-in not started in this browser",
            "This sign-in response belongs to another browser: the one that opened the invite link and went to Google (or this browser does not keep the hub's cookies). Nothing was used. Open your invite link in this browser and sign in again.");

    private static string? VerifyState(KeyRing keys, string state)
    {
        var dot = state.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == state.Length - 1)
        {
            return null;
        }

        var stateId = state[..dot];
        return UserTokens.FixedTimeEquals(Sign(keys, stateId), state[(dot + 1)..]) ? stateId : null;
    }

    private static string Sign(KeyRing keys, string stateId) => Base64Url.Encode(HMACSHA256.HashData(keys.OAuthStateKey, Encoding.UTF8.GetBytes("oauth-state:" + stateId)));

    private static async Task<InviteState?> FindInviteAsync(DurableTaskClient client, string code, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 100)
        {
            return null;
        }

        return (await client.Entities.GetEntityAsync<InviteState>(InviteEntity.Id(UserTokens.Hash(code)), cancellationToken))?.State;
    }

    /// <summary>Writes the page for an unknown (404), used, cancelled or expired (410) invite; false when the invite is open.</summary>
    private static async Task<bool> RefuseInviteAsync(HttpContext http, InviteState? invite)
    {
        if (invite is null)
        {
            await Pages.WriteAsync(http, StatusCodes.Status404NotFound, "Invite not found", "This invite link is not known. Check that you opened the whole link, or ask your admin for a new invite.");
            return true;
        }

        var state = invite.Status == InviteState.Pending && invite.ExpiresAt < DateTimeOffset.UtcNow ? InviteState.Expired : invite.Status;
        if (state == InviteState.Pending)
        {
            return false;
        }

        var message = state switch
        {
            InviteState.Used => "This invite was already used to create an assistant. Use the dashboard link you received; if you lost it, ask your admin to rotate your token.",
            InviteState.Cancelled => "This invite was cancelled by the admin. Ask for a new one if you still need an assistant.",
            _ => "This invite has expired. Ask your admin to resend it.",
        };
        await Pages.WriteAsync(http, StatusCodes.Status410Gone, "Invite no longer valid", message);
        return true;
    }

    private static void NoStore(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
    }
}
