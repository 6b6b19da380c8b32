using CompanyHub.Entities;
using CompanyHub.Integrations.Google;
using CompanyHub.Security;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace CompanyHub.Integrations;

/// <summary>Gets a fresh Google access token for an agent from its sealed refresh token (the person's own OAuth).</summary>
public sealed class GoogleCredentials(DurableTaskClient client, IGoogleOAuthClient oauth, SecretBox box, IOptions<GoogleOptions> options)
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
            return (tokens.AccessToken, agent.Email);
        }
        catch (IntegrationException ex) when (ex.ErrorCode == "invalid_grant" || ex.IsUnauthorized)
        {
            await client.Entities.SignalEntityAsync(AgentEntity.Id(agentId), nameof(AgentEntity.MarkGoogleAccessLost),
                new GoogleAccessLoss(sealedToken, DateTimeOffset.UtcNow), cancellation: cancellationToken).ConfigureAwait(false);
            throw new ToolNotConfiguredException("Google", AccessLostMessage);
        }
    }
}
