using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;

namespace CompanyHub.Orchestrations;

/// <summary>The input of <see cref="EntityCallOrchestration"/>.</summary>
public sealed record EntityCall(string EntityId, string Operation, JsonElement? Input);

/// <summary>
/// Calls one entity operation and returns its result. HTTP functions use it (through <see cref="EntityCalls"/>) when
/// they must see the effect of their own write before answering — a signal alone is one-way.
/// </summary>
public sealed class EntityCallOrchestration : TaskOrchestrator<EntityCall, JsonElement?>
{
    public override Task<JsonElement?> RunAsync(TaskOrchestrationContext context, EntityCall input) =>
        context.Entities.CallEntityAsync<JsonElement?>(EntityInstanceId.FromString(input.EntityId), input.Operation, input.Input);
}

/// <summary>Calls entity operations from outside orchestrations and waits for their results.</summary>
public static class EntityCalls
{
    public static async Task<TResult?> CallAsync<TResult>(DurableTaskClient client, EntityInstanceId id, string operation, object? input, CancellationToken cancellationToken)
    {
        var element = input is null ? (JsonElement?)null : JsonSerializer.SerializeToElement(input, HubJson.Options);
        var instanceId = await client.ScheduleNewOrchestrationInstanceAsync(nameof(EntityCallOrchestration), new EntityCall(id.ToString(), operation, element), cancellationToken).ConfigureAwait(false);
        var done = await client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        try
        {
            if (done.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
            {
                throw new InvalidOperationException($"Operation '{operation}' on {id} failed: {done.FailureDetails?.ErrorMessage ?? done.RuntimeStatus.ToString()}");
            }

            return done.ReadOutputAs<TResult>();
        }
        finally
        {
            await client.PurgeInstanceAsync(instanceId, cancellation: CancellationToken.None).ConfigureAwait(false);
        }
    }

    public static Task CallAsync(DurableTaskClient client, EntityInstanceId id, string operation, object? input, CancellationToken cancellationToken) =>
        CallAsync<JsonElement?>(client, id, operation, input, cancellationToken);
}
