using CompanyHub.Entities;
using CompanyHub.Integrations.Google;
using CompanyHub.Security;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Integrations;

/// <summary>Gets a fresh Google access token for an agent from its sealed refresh token (the person's own OAuth).</summary>
public sealed class GoogleCredentials(DurableTaskClient client, IGoogleOAuthClient oauth, SecretBox box)
{
    public const string RefreshTokenPurpose = "google-refresh-token";

    public async Task<(string AccessToken, string Email)> AccessTokenAsync(string agentId, CancellationToken cancellationToken)
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

        var refresh = box.Open(sealedToken, RefreshTokenPurpose);
        var tokens = await oauth.RefreshAsync(refresh, cancellationToken).ConfigureAwait(false);
        return (tokens.AccessToken, agent.Email);
    }
}
