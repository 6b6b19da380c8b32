using System.Security.Claims;
using CompanyHub.Entities;
using CompanyHub.Integrations.Google;
using CompanyHub.Orchestrations;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.DurableTask.Client;
using Microsoft.Azure.Functions.Worker;

namespace CompanyHub.Functions;

/// <summary>Who am I, token rotation, and the reconnect of a person's Google account.</summary>
public sealed class IdentityFunctions(TokenAuthenticator authenticator, IAuditLog audit, IOptions<HubOptions> options, IGoogleOAuthClient google)
{
    [Function("Me")]
    public static object Me([HttpTrigger(AuthorizationLevel.User, "get", Route = "me")] HttpRequest req, ClaimsPrincipal user)
    {
        var caller = Caller.From(user);
        return new { role = caller.Role, agentId = caller.AgentId };
    }

    [Function("RotateToken")]
    public async Task<IResult> RotateToken(
        [HttpTrigger(AuthorizationLevel.User, "post", Route = "agents/{agentId}/token/rotate")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        var agent = await AgentAccess.LoadAsync(client, caller, agentId, cancellationToken);
        if (agent is null)
        {
            return Problems.NotFound(AgentAccess.NotFoundMessage(agentId));
        }

        if (agent.Status != AgentStatus.Active)
        {
            return Problems.Conflict($"Agent '{agentId}' is {agent.Status.ToString().ToLowerInvariant()}; its token cannot be rotated.", new { agentStatus = agent.Status.ToString().ToLowerInvariant() });
        }

        var token = UserTokens.Create();
        var hash = UserTokens.Hash(token);
        await EntityCalls.CallAsync(client, AgentEntity.Id(agentId), nameof(AgentEntity.SetTokenHash), hash, cancellationToken);
        await EntityCalls.CallAsync(client, DirectoryEntity.Id, nameof(DirectoryEntity.SetTokenHash), new DirectoryEntity.SetTokenRequest(agentId, hash), cancellationToken);
        authenticator.Invalidate();
        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, caller.Actor, "token.rotated", agentId, agentId, "user token rotated; the old one no longer works", TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
        req.HttpContext.Response.Headers.CacheControl = "no-store";
        if (!caller.IsAdmin)
        {
            // The person's browser keeps working: its session cookie moves to the new token.
            req.HttpContext.Response.Cookies.Append(TokenAuthenticator.CookieName, token, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = options.Value.IsHttps || req.IsHttps,
                Path = "/",
                MaxAge = TimeSpan.FromDays(30),
            });
        }

        return Results.Ok(new { token, dashboardUrl = options.Value.Link("/?token=" + token) });
    }

    /// <summary>
    /// Starts a reconnect of the person's own Google account (a revoked token, a newly enabled tool's scope): the same
    /// PKCE sign-in as onboarding, bound to this browser and to this agent; the callback accepts only the agent's own
    /// Google account. Answers the consent URL to open.
    /// </summary>
    [Function("ReconnectGoogle")]
    public async Task<IResult> ReconnectGoogle(
        [HttpTrigger(AuthorizationLevel.User, "post", Route = "agents/{agentId}/google/reconnect")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        var (agent, problem) = await AgentAccess.LoadActiveAsync(client, caller, agentId, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (caller.IsAdmin)
        {
            return Problems.Forbidden($"Only {agent!.Name} can reconnect their Google account, from their own dashboard: the sign-in at Google is theirs.");
        }

        if (!google.IsConfigured)
        {
            return Problems.Unavailable("Google sign-in is not configured on this hub (GOOGLE_CLIENT_ID). Ask your admin.");
        }

        var url = await OnboardingPages.StartReconnectAsync(req.HttpContext, client, agent!);
        req.HttpContext.Response.Headers.CacheControl = "no-store";
        return Results.Ok(new { url = url.AbsoluteUri });
    }
}
