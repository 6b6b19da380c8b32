using CompanyHub.Entities;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;
using Microsoft.Azure.Functions.Worker;

namespace CompanyHub.Functions;

/// <summary>Housekeeping on a schedule.</summary>
public static class MaintenanceFunctions
{
    /// <summary>How long a finished or abandoned Google sign-in attempt is kept (so a replayed callback is recognised as such).</summary>
    public static readonly TimeSpan AttemptRetention = TimeSpan.FromDays(1);

    /// <summary>Deletes Google sign-in attempts (<c>oauthstate@…</c>) that expired more than a day ago. Runs hourly.</summary>
    [Function("CleanupOAuthAttempts")]
    public static async Task CleanupOAuthAttempts([TimerTrigger("0 17 * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        await DeleteExpiredAttemptsAsync(client, DateTimeOffset.UtcNow - AttemptRetention, cancellationToken);

    /// <summary>Deletes the attempts that expired before <paramref name="cutoff"/>; returns how many.</summary>
    public static async Task<int> DeleteExpiredAttemptsAsync(DurableTaskClient client, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var expired = new List<EntityInstanceId>();
        await foreach (var entity in client.Entities.GetAllEntitiesAsync<OAuthAttempt>(new EntityQuery { InstanceIdStartsWith = $"@{OAuthStateEntity.Name}@", IncludeState = true }).WithCancellation(cancellationToken))
        {
            if (entity.State is { } attempt && attempt.ExpiresAt < cutoff)
            {
                expired.Add(entity.Id);
            }
        }

        foreach (var id in expired)
        {
            await client.Entities.SignalEntityAsync(id, "delete", cancellation: cancellationToken);
        }

        return expired.Count;
    }
}
