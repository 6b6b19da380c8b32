using Serverless.DurableTask;
using Serverless.DurableTask.Client;

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
        var existing = await client.GetInstanceAsync(instanceId, cancellation: cancellationToken).ConfigureAwait(false);
        if (existing is null || (restartIfFinished && existing.IsCompleted))
        {
            try
            {
                await client.ScheduleNewOrchestrationInstanceAsync(orchestratorName, input, new StartOrchestrationOptions(instanceId), cancellationToken).ConfigureAwait(false);
            }
            catch (OrchestrationAlreadyExistsException)
            {
                // Started concurrently: fine.
            }
        }

        return instanceId;
    }
}
