using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Serverless.Runtime.Tests;

public sealed class PurgeTests
{
    [Theory]
    [Stores]
    public async Task PurgeInstance_Completed_RemovesInstanceAndHistory(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Samples);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Quick", "x");
        await hub.WaitForCompletionAsync(id);

        // Act
        var result = await hub.Client.PurgeInstanceAsync(id);

        // Assert
        Assert.Equal(1, result.PurgedInstanceCount);
        Assert.Null(await hub.Client.GetInstanceAsync(id));
        Assert.Empty(await hub.GetHistoryAsync(id));
    }

    [Theory]
    [Stores]
    public async Task PurgeInstance_Running_NotPurged(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Samples);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Waiter");
        await hub.WaitForInstanceAsync(id, m => m?.RuntimeStatus == OrchestrationRuntimeStatus.Running);

        // Act
        var result = await hub.Client.PurgeInstanceAsync(id);

        // Assert: still there and still able to finish.
        Assert.Equal(0, result.PurgedInstanceCount);
        await hub.Client.RaiseEventAsync(id, "Go", "went");
        var after = await hub.WaitForCompletionAsync(id);
        Assert.Equal("went", after.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task PurgeInstance_UnknownId_ReturnsZero(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Samples);

        // Act
        var result = await hub.Client.PurgeInstanceAsync("never-existed");

        // Assert
        Assert.Equal(0, result.PurgedInstanceCount);
    }

    [Theory]
    [Stores]
    public async Task PurgeAllInstances_StatusFilter_PurgesOnlyMatchingFinishedInstances(StoreKind store)
    {
        // Arrange: 3 completed, 2 failed, 1 running.
        await using var hub = await TestHub.StartAsync(store, Samples);
        var completed = await StartAndFinishAsync(hub, "Quick", 3);
        var failed = await StartAndFinishAsync(hub, "Boom", 2);
        var running = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Waiter");
        await hub.WaitForInstanceAsync(running, m => m?.RuntimeStatus == OrchestrationRuntimeStatus.Running);

        // Act
        var failedOnly = await hub.Client.PurgeAllInstancesAsync(new PurgeInstancesFilter(Statuses: [OrchestrationRuntimeStatus.Failed]));
        var runningRequested = await hub.Client.PurgeAllInstancesAsync(new PurgeInstancesFilter(Statuses: [OrchestrationRuntimeStatus.Running]));

        // Assert
        Assert.Equal(2, failedOnly.PurgedInstanceCount);
        Assert.Equal(0, runningRequested.PurgedInstanceCount);
        foreach (var id in failed)
        {
            Assert.Null(await hub.Client.GetInstanceAsync(id));
        }

        foreach (var id in completed.Append(running))
        {
            Assert.NotNull(await hub.Client.GetInstanceAsync(id));
        }
    }

    [Theory]
    [Stores]
    public async Task PurgeAllInstances_CreatedToFilter_PurgesOnlyOlderInstances(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Samples);
        var older = await StartAndFinishAsync(hub, "Quick", 3);
        var boundary = await Clock.BoundaryAsync();
        var newer = await StartAndFinishAsync(hub, "Quick", 2);

        // Act
        var result = await hub.Client.PurgeAllInstancesAsync(new PurgeInstancesFilter(CreatedTo: boundary));

        // Assert
        Assert.Equal(3, result.PurgedInstanceCount);
        foreach (var id in older)
        {
            Assert.Null(await hub.Client.GetInstanceAsync(id));
        }

        foreach (var id in newer)
        {
            Assert.NotNull(await hub.Client.GetInstanceAsync(id));
        }
    }

    [Theory]
    [Stores]
    public async Task Retention_FinishedInstances_PurgedAutomaticallyAndRunningKept(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Samples, o =>
        {
            o.Retention = TimeSpan.FromMilliseconds(1);
            o.RetentionInterval = TimeSpan.FromMilliseconds(50);
        });
        var running = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Waiter");
        await hub.WaitForInstanceAsync(running, m => m?.RuntimeStatus == OrchestrationRuntimeStatus.Running);

        // Act
        var finished = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Quick", "x");
        await hub.WaitForInstanceAsync(finished, m => m is null);

        // Assert
        Assert.Empty(await hub.GetHistoryAsync(finished));
        var stillRunning = await hub.Client.GetInstanceAsync(running);
        Assert.Equal(OrchestrationRuntimeStatus.Running, stillRunning!.RuntimeStatus);
    }

    private static async Task<List<string>> StartAndFinishAsync(TestHub hub, string name, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync(name, "x");
            await hub.WaitForCompletionAsync(id);
            ids.Add(id);
        }

        return ids;
    }

    private static void Samples(DurableTaskRegistry r) => r
        .AddOrchestratorFunc<string, string>("Quick", (_, s) => Task.FromResult(s))
        .AddOrchestratorFunc("Boom", Boom)
        .AddOrchestratorFunc<string>("Waiter", ctx => ctx.WaitForExternalEvent<string>("Go"));

    private static Task<string> Boom(TaskOrchestrationContext context) => throw new InvalidOperationException("boom");
}
