using Microsoft.Data.Sqlite;
using Serverless.DurableTask;
using Serverless.DurableTask.Worker;

namespace Serverless.Runtime.Tests;

public sealed class CorruptStateTests
{
    [Fact]
    public async Task CorruptHistoryRow_EventRaisedAfterRestart_InstanceDeadLetteredWithClearReasonAndHostKeepsRunning()
    {
        // Arrange: an instance waits for an event; while the hub is stopped, one of its history rows is damaged.
        using var dir = new TempDirectory();
        string id;
        await using (var first = await TestHub.StartAsync(Tasks, directory: dir.Path))
        {
            id = await first.Client.ScheduleNewOrchestrationInstanceAsync("Waits");
            await first.WaitForInstanceAsync(id, m => m?.ReadCustomStatusAs<string>() == "waiting");
        }

        Assert.Equal(1, Execute(dir.Path, "UPDATE History SET event = '{\"t\":\"TaskScheduled\",\"id\":' WHERE instance_id = $id AND seq = 1", id));

        // Act
        await using var second = await TestHub.StartAsync(Tasks, o => o.MaxDequeueCount = 3, directory: dir.Path);
        await second.Client.RaiseEventAsync(id, "Go", "now");
        var result = await second.WaitForCompletionAsync(id);

        // Assert: failed with a reason naming the damaged event; the message is kept in the dead-letter table.
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Contains("corrupt", result.FailureDetails!.ErrorMessage, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("#1", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        var dead = Assert.Single(await second.Store.GetDeadLettersAsync(10, CancellationToken.None));
        Assert.Equal(id, dead.InstanceId);
        Assert.Contains("EventRaised", dead.Payload, StringComparison.Ordinal);

        // The host is still healthy: other instances run.
        var other = await second.Client.ScheduleNewOrchestrationInstanceAsync("Quick");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await second.WaitForCompletionAsync(other)).RuntimeStatus);
    }

    [Fact]
    public async Task CorruptQueuedMessage_HubRestarted_MessageDeadLetteredAndHostStarts()
    {
        // Arrange: an event is queued for a suspended instance; while the hub is stopped, the queued message is damaged.
        using var dir = new TempDirectory();
        string id;
        await using (var first = await TestHub.StartAsync(Tasks, directory: dir.Path))
        {
            id = await first.Client.ScheduleNewOrchestrationInstanceAsync("Waits");
            await first.WaitForInstanceAsync(id, m => m?.ReadCustomStatusAs<string>() == "waiting");
            await first.Client.SuspendInstanceAsync(id);
            await first.WaitForInstanceAsync(id, m => m?.RuntimeStatus == OrchestrationRuntimeStatus.Suspended);
            await first.Client.RaiseEventAsync(id, "Go", "now");
        }

        Assert.Equal(1, Execute(dir.Path, "UPDATE Messages SET event = 'not json' WHERE instance_id = $id", id));

        // Act
        await using var second = await TestHub.StartAsync(Tasks, directory: dir.Path);

        // Assert
        var dead = Assert.Single(await second.Store.GetDeadLettersAsync(10, CancellationToken.None));
        Assert.Equal((id, "not json"), (dead.InstanceId, dead.Payload));
        Assert.Contains("could not be read", dead.Reason, StringComparison.Ordinal);
        var other = await second.Client.ScheduleNewOrchestrationInstanceAsync("Quick");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await second.WaitForCompletionAsync(other)).RuntimeStatus);
    }

    private static int Execute(string directory, string sql, string instanceId)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = TestHub.DatabasePathIn(directory), Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", instanceId);
        return command.ExecuteNonQuery();
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
