using System.Net;
using CompanyHub.Entities;
using CompanyHub.Integrations.Google;
using CompanyHub.Security;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace CompanyHub.Integrations;

/// <summary>Gets a fresh Google access token for an agent from its sealed refresh token (the person's own OAuth).</summary>
public sealed class GoogleCredentials(DurableTaskClient client, IGoogleOAuthClient oauth, SecretBox box, IOptions<GoogleOptions> options, IAuditLog audit)
{
    public const string RefreshTokenPurpose = "google-refresh-token";

    /// <summary>What a tool answers while the agent's Google access is lost (<see cref="AgentState.GoogleAccessLostAt"/>).</summary>
    public const string AccessLostMessage = "Google access lost — reconnect: Google refused the stored sign-in (revoked or expired). Use \"Reconnect Google\" on the dashboard.";

    public Task<(string AccessToken, string Email)> AccessTokenAsync(string agentId, CancellationToken cancellationToken) =>
        AccessTokenAsync(agentId, requiredScope: null, cancellationToken);

    /// <summary>
    /// A fresh access token for a tool that needs <paramref name="requiredScope"/>: when the person has not granted it
    /// (the admin turned the tool on after their sign-in), the tool says to reconnect Google instead of failing at Google.
    /// When Google refuses the refresh token (<c>invalid_grant</c>, 401), the agent is marked as having lost Google access.
    /// </summary>
    public async Task<(string AccessToken, string Email)> AccessTokenAsync(string agentId, string? requiredScope, CancellationToken cancellationToken)
    {
        var (token, email, _) = await FreshAsync(agentId, requiredScope, cancellationToken).ConfigureAwait(false);
        return (token, email);
    }

    /// <summary>
    /// Runs <paramref name="call"/> (Gmail, Calendar, Drive, Docs, Sheets, Contacts) with a fresh access token. When the
    /// API refuses that fresh token — 401, or 403 for scopes the sign-in lacks — refreshing again cannot help: the agent
    /// is marked as having lost Google access (the dashboard offers "Reconnect Google"), the loss is audited, and the
    /// tool answers <see cref="ToolNotConfiguredException"/> saying to reconnect (a proposal fails without retries).
    /// </summary>
    public async Task<T> CallAsync<T>(string agentId, string? requiredScope, Func<string, string, Task<T>> call, CancellationToken cancellationToken)
    {
        var (token, email, agent) = await FreshAsync(agentId, requiredScope, cancellationToken).ConfigureAwait(false);
        try
        {
            return await call(token, email).ConfigureAwait(false);
        }
        catch (IntegrationException ex) when (RefusesToken(ex))
        {
            var why = ex.StatusCode == HttpStatusCode.Unauthorized
                ? $"{ex.Service} refused a freshly refreshed access token (401)"
                : $"{ex.Service} answered that the sign-in lacks the access it needs (403 insufficient scopes)";
            await MarkLostAsync(agentId, agent, why, cancellationToken).ConfigureAwait(false);
            throw new ToolNotConfiguredException("Google",
                $"Google access lost — reconnect: {why}. Use \"Reconnect Google\" on the dashboard to sign in with Google again.");
        }
    }

    /// <summary>
    /// Whether a Google API refused the access token itself, so that only a new sign-in helps: 401, or 403 for
    /// insufficient authentication scopes (not a 403 for a rate limit or for another person's calendar or file).
    /// </summary>
    public static bool RefusesToken(IntegrationException ex) =>
        ex.IsUnauthorized
        || (ex.StatusCode == HttpStatusCode.Forbidden
            && (ex.ErrorCode is "insufficientPermissions" or "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
                || ex.ServiceMessage?.Contains("insufficient authentication scopes", StringComparison.OrdinalIgnoreCase) == true));

    private async Task<(string AccessToken, string Email, AgentState Agent)> FreshAsync(string agentId, string? requiredScope, CancellationToken cancellationToken)
    {
        if (!oauth.IsConfigured)
        {
            throw new ToolNotConfiguredException("Google", "Gmail and Calendar are not configured: set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET.");
        }

        var agent = (await client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(agentId), cancellationToken))?.State;
        if (agent?.SealedGoogleRefreshToken is not { } sealedToken)
        {
            throw new ToolNotConfiguredException("Google", agentId == "orchestrator"
                ? "No Google account is connected for sending: the admin connects one at /oauth/google/connect-sender."
                : $"{agent?.Name ?? agentId} has not connected a Google account (signed in without Google), so Gmail and Calendar are not available.");
        }

        if (requiredScope is not null && GoogleScopes.Missing(agent.GoogleScopes, options.Value).Contains(requiredScope, StringComparer.Ordinal))
        {
            throw new ToolNotConfiguredException("Google",
                $"Google access to reconnect: this tool needs access ({requiredScope}) that {agent.Name} has not granted yet (it was turned on after the sign-in, or unticked at Google). Use \"Reconnect Google\" on the dashboard to grant it.");
        }

        var refresh = box.Open(sealedToken, RefreshTokenPurpose);
        try
        {
            var tokens = await oauth.RefreshAsync(refresh, cancellationToken).ConfigureAwait(false);
            return (tokens.AccessToken, agent.Email, agent);
        }
        catch (IntegrationException ex) when (ex.ErrorCode == "invalid_grant" || ex.IsUnauthorized)
        {
            await MarkLostAsync(agentId, agent, $"Google refused the stored refresh token ({ex.ErrorCode ?? ((int?)ex.StatusCode)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "refused"})", cancellationToken).ConfigureAwait(false);
            throw new ToolNotConfiguredException("Google", AccessLostMessage);
        }
    }

    /// <summary>
    /// Marks the agent's Google access lost (unless a reconnect replaced the refused credential meanwhile) and audits the
    /// loss once: while the flag is already set, a further refusal changes and records nothing.
    /// </summary>
    private async Task MarkLostAsync(string agentId, AgentState agent, string why, CancellationToken cancellationToken)
    {
        await client.Entities.SignalEntityAsync(AgentEntity.Id(agentId), nameof(AgentEntity.MarkGoogleAccessLost),
            new GoogleAccessLoss(agent.SealedGoogleRefreshToken!, DateTimeOffset.UtcNow), cancellation: cancellationToken).ConfigureAwait(false);
        if (agent.GoogleAccessLostAt is null)
        {
            await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, $"agent:{agentId}", "google.access-lost", agentId, agent.Email,
                $"Google access lost: {why}; the person is asked to reconnect Google", null, "refused"), cancellationToken).ConfigureAwait(false);
        }
    }
}
