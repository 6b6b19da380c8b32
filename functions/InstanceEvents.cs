using Microsoft.DurableTask.Client;
using Serverless.Functions.Http;

namespace CompanyHub.Functions;

/// <summary>Raising events into instances that may have ended since they were read.</summary>
public static class InstanceEvents
{
    /// <summary>
    /// Raises <paramref name="eventName"/> into <paramref name="instanceId"/>: false when the instance has ended or does
    /// not exist (the SDK's clients refuse such an event, each with an exception of its own). A failure while the
    /// instance still runs is not about the instance: it is thrown. So is a store that cannot write (disk full,
    /// read-only): the event was not saved, and the caller answers 503 instead of "finished" or "gone".
    /// </summary>
    public static async Task<bool> TryRaiseAsync(DurableTaskClient client, string instanceId, string eventName, object payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            await client.RaiseEventAsync(instanceId, eventName, payload, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !StoreUnavailableAnswer.Matches(ex))
        {
            if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false) is { IsCompleted: false })
            {
                throw;
            }

            return false;
        }
    }
}
