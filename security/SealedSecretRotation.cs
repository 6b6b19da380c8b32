using CompanyHub.Entities;
using CompanyHub.Integrations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Security;

/// <summary>
/// The second half of a master key rotation: at start-up with <c>MASTER_KEY_PREVIOUS</c> set, or with sealing keys
/// inherited from a restore under another root key (<see cref="InheritedSealingKeys"/>), re-seals under the new key the
/// secrets that live on — the Google refresh tokens of the agents and of the invite sender — so that the previous key
/// can be dropped. Secrets that only live for one onboarding (invite codes, PKCE verifiers, the token
/// shown once) are opened with the previous key until they are gone.
/// </summary>
public sealed class SealedSecretRotation(KeyRing keys, SecretBox box, DurableTaskClient client, IAuditLog audit, ILogger<SealedSecretRotation> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (keys.Previous is null && keys.Inherited.Count == 0)
        {
            return;
        }

        var directory = (await client.Entities.GetEntityAsync<DirectoryState>(DirectoryEntity.Id, cancellationToken).ConfigureAwait(false))?.State ?? new DirectoryState();
        var resealed = new List<string>();
        foreach (var agentId in directory.Agents.Keys)
        {
            var agent = (await client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(agentId), cancellationToken).ConfigureAwait(false))?.State;
            if (agent?.SealedGoogleRefreshToken is not { } sealedToken || box.IsSealedWithCurrentKey(sealedToken))
            {
                continue;
            }

            string fresh;
            try
            {
                fresh = box.Seal(box.Open(sealedToken, GoogleCredentials.RefreshTokenPurpose), GoogleCredentials.RefreshTokenPurpose);
            }
            catch (SecretBoxException ex)
            {
                // Sealed under a key older than the previous one: this agent's Google connection has to be made again.
                logger.LogWarning("The Google credential of agent {AgentId} cannot be re-sealed: {Reason}", agentId, ex.Message);
                continue;
            }

            // Compare-and-swap in the entity: a credential connected since it was read here is left alone.
            await client.Entities.SignalEntityAsync(AgentEntity.Id(agentId), nameof(AgentEntity.ResealGoogleCredential), new CredentialReseal(sealedToken, fresh), cancellation: cancellationToken).ConfigureAwait(false);
            resealed.Add(agentId);
        }

        var who = resealed.Count == 0 ? "none" : string.Join(", ", resealed);
        if (keys.Previous is { } rotatedOut)
        {
            logger.LogInformation("Master key rotation: re-sealed {Count} Google credentials under key id {KeyId}.", resealed.Count, keys.KeyId);
            await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "system", "key.rotated", null, keys.KeyId,
                $"master key {rotatedOut.KeyId} → {keys.KeyId}; re-sealed the Google credentials of: {who}", null, "ok"), cancellationToken).ConfigureAwait(false);
        }
        else if (resealed.Count > 0)
        {
            // After a restore under another root key: the credentials sealed under the inherited keys move to this hub's.
            logger.LogInformation("Restored credentials: re-sealed {Count} Google credentials under key id {KeyId}.", resealed.Count, keys.KeyId);
            await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "system", "key.resealed", null, keys.KeyId,
                $"sealing keys {string.Join(", ", keys.Inherited.Select(k => k.KeyId))} (inherited from restored snapshots) → {keys.KeyId}; re-sealed the Google credentials of: {who}", null, "ok"), cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
