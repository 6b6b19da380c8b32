using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Serverless.DurableTask.Engine;

namespace Serverless.Runtime.Tests;

public sealed class CorruptStateTests
{
    [Theory]
    [Stores]
    public async Task CorruptHistoryRow_EventRaisedAfterRestart_InstanceDeadLetteredWithClearReasonAndHostKeepsRunning(StoreKind store)
    {
        // Arrange: an instance waits for an event; while the hub is stopped, one of its history rows is damaged.
        using var dir = new TempDirectory();
        string id;
        await using (var first = await TestHub.StartAsync(store, Tasks, directory: dir.Path))
        {
            id = await first.Client.ScheduleNewOrchestrationInstanceAsync("Waits");
            await first.WaitForInstanceAsync(id, m => m?.ReadCustomStatusAs<string>() == "waiting");
        }

        Assert.Equal(1, await TestStores.ExecuteAsync(store, dir.Path, $"UPDATE History SET event = {Damaged(store)} WHERE instance_id = $id AND seq = 1", id));

        // Act
        await using var second = await TestHub.StartAsync(store, Tasks, o => o.MaxDequeueCount = 3, directory: dir.Path);
        await second.Client.RaiseEventAsync(id, "Go", "now");
        var result = await second.WaitForCompletionAsync(id);

        // Assert: failed with a reason naming the damaged event; the message is kept in the dead-letter table.
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Contains("corrupt", result.FailureDetails!.ErrorMessage, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("#1", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        var dead = Assert.Single(await second.Store.GetDeadLettersAsync(10, CancellationToken.None));
        Assert.Equal(id, dead.InstanceId);
        // The payload is the protobuf event in protobuf's JSON form (field names in lower camel case).
        Assert.Contains("\"eventRaised\"", dead.Payload, StringComparison.Ordinal);

        // The host is still healthy: other instances run.
        var other = await second.Client.ScheduleNewOrchestrationInstanceAsync("Quick");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await second.WaitForCompletionAsync(other)).RuntimeStatus);
    }

    [Theory]
    [Stores]
    public async Task CorruptQueuedMessage_HubRestarted_MessageDeadLetteredAndHostStarts(StoreKind store)
    {
        // Arrange: an event is queued for a suspended instance; while the hub is stopped, the queued message is damaged.
        using var dir = new TempDirectory();
        string id;
        await using (var first = await TestHub.StartAsync(store, Tasks, directory: dir.Path))
        {
            id = await first.Client.ScheduleNewOrchestrationInstanceAsync("Waits");
            await first.WaitForInstanceAsync(id, m => m?.ReadCustomStatusAs<string>() == "waiting");
            await first.Client.SuspendInstanceAsync(id);
            await first.WaitForInstanceAsync(id, m => m?.RuntimeStatus == OrchestrationRuntimeStatus.Suspended);
            await first.Client.RaiseEventAsync(id, "Go", "now");
        }

        Assert.Equal(1, await TestStores.ExecuteAsync(store, dir.Path, $"UPDATE Messages SET event = {Damaged(store)} WHERE instance_id = $id", id));

        // Act: the hub restarts and the instance is resumed, so the damaged message is due. SQLite finds it already
        // while loading its queues at start-up; PostgreSQL when it leases the message.
        await using var second = await TestHub.StartAsync(store, Tasks, directory: dir.Path);
        await second.Client.ResumeInstanceAsync(id);

        // Assert
        var dead = await WaitForSingleDeadLetterAsync(second);
        // The damaged bytes are kept, base64-encoded.
        Assert.Equal((id, Convert.ToBase64String(DamagedBytes)), (dead.InstanceId, dead.Payload));
        Assert.Contains("could not be read", dead.Reason, StringComparison.Ordinal);
        var other = await second.Client.ScheduleNewOrchestrationInstanceAsync("Quick");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await second.WaitForCompletionAsync(other)).RuntimeStatus);
    }

    /// <summary>Bytes that are not a protobuf event (a varint that never ends), as both stores keep events as bytes.</summary>
    private static readonly byte[] DamagedBytes = [0xFF, 0xFF, 0xFF, 0xFF];

    private static string Damaged(StoreKind store) => store == StoreKind.Sqlite
        ? $"X'{Convert.ToHexString(DamagedBytes)}'"
        : $"decode('{Convert.ToHexString(DamagedBytes)}', 'hex')";

    private static async Task<DeadLetter> WaitForSingleDeadLetterAsync(TestHub hub)
    {
        using var cts = new CancellationTokenSource(TestHub.DefaultTimeout);
        while (true)
        {
            var letters = await hub.Store.GetDeadLettersAsync(10, cts.Token);
            if (letters.Count > 0)
            {
                return Assert.Single(letters);
            }

            await Task.Delay(50, cts.Token);
        }
    }

    private static void Tasks(DurableTaskRegistry r) => r
        .AddOrchestratorFunc<string>("Waits", async ctx =>
        {
            await ctx.CreateTimer(TimeSpan.FromMilliseconds(1), CancellationToken.None);
            ctx.SetCustomStatus("waiting");
            return await ctx.WaitForExternalEvent<string>("Go");
        })
        .AddOrchestratorFunc<string>("Quick", _ => Task.FromResult("quick"));
}
