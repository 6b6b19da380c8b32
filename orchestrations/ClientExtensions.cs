using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Orchestrations;

/// <summary>Starting orchestrations from activities and functions, idempotently by instance id.</summary>
public static class ClientExtensions
{
    /// <summary>
    /// Starts <paramref name="orchestratorName"/> as <paramref name="instanceId"/> unless an instance with that id exists
    /// (or, with <paramref name="restartIfFinished"/>, unless it exists and is still running). Safe to repeat: an activity
    /// that runs twice starts one instance.
    /// </summary>
    public static async Task<string> StartOnceAsync(this DurableTaskClient client, string orchestratorName, object? input, string instanceId, bool restartIfFinished, CancellationToken cancellationToken)
    {
        var existing = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
        if (existing is null || (restartIfFinished && existing.IsCompleted))
        {
            try
            {
                await client.ScheduleNewOrchestrationInstanceAsync(orchestratorName, input, new StartOrchestrationOptions(instanceId), cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // The SDK's clients refuse an id in use with an InvalidOperationException: fine when someone else started it.
                if (!await StartedMeanwhileAsync(client, instanceId, existing is not null, cancellationToken).ConfigureAwait(false))
                {
                    throw;
                }
            }
        }

        return instanceId;
    }

    /// <summary>Whether the instance exists now (and runs, when a finished one was being restarted): someone else started it.</summary>
    private static async Task<bool> StartedMeanwhileAsync(DurableTaskClient client, string instanceId, bool wasFinished, CancellationToken cancellationToken) =>
        await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false) is { } now && (!wasFinished || !now.IsCompleted);
}
