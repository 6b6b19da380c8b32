using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Serverless.DurableTask;

namespace Serverless.Runtime.Tests;

public sealed class InstanceControlTests
{
    [Theory]
    [Stores]
    public async Task Terminate_WaitingInstance_StatusTerminatedWithReasonAsOutput(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Approver);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Approver");
        await hub.WaitForInstanceAsync(id, m => m?.ReadCustomStatusAs<string>() == "waiting");

        // Act
        await hub.Client.TerminateInstanceAsync(id, "no longer needed");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, result.RuntimeStatus);
        Assert.Equal("no longer needed", result.ReadOutputAs<string>());
        await Assert.ThrowsAsync<OrchestrationStateConflictException>(() => hub.Client.RaiseEventAsync(id, "Decision", "late"));
    }

    [Theory]
    [Stores]
    public async Task Terminate_FinishedInstance_ThrowsStateConflict(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r.AddOrchestratorFunc<string>("Done", _ => Task.FromResult("done")));
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Done");
        await hub.WaitForCompletionAsync(id);

        // Act
        var error = await Assert.ThrowsAsync<OrchestrationStateConflictException>(() => hub.Client.TerminateInstanceAsync(id, "too late"));

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, error.Status);
        var after = await hub.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        Assert.Equal("done", after!.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task Suspend_EventRaisedWhileSuspended_NotProcessedUntilResume(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Approver);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Approver");
        await hub.WaitForInstanceAsync(id, m => m?.ReadCustomStatusAs<string>() == "waiting");

        // Act 1: suspend, then raise the event the orchestration waits for.
        await hub.Client.SuspendInstanceAsync(id, "maintenance");
        await hub.WaitForInstanceAsync(id, m => m?.RuntimeStatus == OrchestrationRuntimeStatus.Suspended);
        await hub.Client.RaiseEventAsync(id, "Decision", "approve");

        // Assert 1: the event stays queued; the instance does not move while suspended.
        using (var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hub.Client.WaitForInstanceCompletionAsync(id, cancellation: shortWait.Token));
        }

        var suspended = await hub.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        Assert.Equal(OrchestrationRuntimeStatus.Suspended, suspended!.RuntimeStatus);
        Assert.Equal("waiting", suspended.ReadCustomStatusAs<string>());
        Assert.Equal(1, await hub.Store.GetBacklogAsync(id, CancellationToken.None));
        Assert.DoesNotContain(await hub.GetHistoryAsync(id), e => e.EventType == EventType.EventRaised);

        // Act 2
        await hub.Client.ResumeInstanceAsync(id, "done");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert 2
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("approve", result.ReadOutputAs<string>());
        Assert.Equal("got approve", result.ReadCustomStatusAs<string>());
        var history = await hub.GetHistoryAsync(id);
        var types = history.Select(e => e.EventType).ToList();
        Assert.True(types.IndexOf(EventType.ExecutionSuspended) < types.IndexOf(EventType.ExecutionResumed));
        Assert.True(types.IndexOf(EventType.ExecutionResumed) < types.IndexOf(EventType.EventRaised));
    }

    [Theory]
    [Stores]
    public async Task Terminate_SuspendedInstance_Terminates(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Approver);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Approver");
        await hub.WaitForInstanceAsync(id, m => m?.ReadCustomStatusAs<string>() == "waiting");
        await hub.Client.SuspendInstanceAsync(id);
        await hub.WaitForInstanceAsync(id, m => m?.RuntimeStatus == OrchestrationRuntimeStatus.Suspended);

        // Act
        await hub.Client.TerminateInstanceAsync(id, "stop");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, result.RuntimeStatus);
    }

    [Theory]
    [Stores]
    public async Task Restart_SameInstanceId_RunsAgainWithOriginalInput(StoreKind store)
    {
        // Arrange
        var stamps = new CallCounter();
        await using var hub = await TestHub.StartAsync(store, r => Stamped(r, stamps));
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Stamped", "order-7");
        var first = await hub.WaitForCompletionAsync(id);

        // Act
        var restartedId = await hub.Client.RestartAsync(id);
        var second = await hub.WaitForCompletionAsync(restartedId);

        // Assert
        Assert.Equal(id, restartedId);
        Assert.Equal("order-7#1", first.ReadOutputAs<string>());
        Assert.Equal(OrchestrationRuntimeStatus.Completed, second.RuntimeStatus);
        Assert.Equal("order-7#2", second.ReadOutputAs<string>());
        Assert.Single(await hub.GetHistoryAsync(id), e => e.EventType == EventType.ExecutionStarted);
    }

    [Theory]
    [Stores]
    public async Task Restart_NewInstanceId_StartsSeparateInstanceAndKeepsOriginal(StoreKind store)
    {
        // Arrange
        var stamps = new CallCounter();
        await using var hub = await TestHub.StartAsync(store, r => Stamped(r, stamps));
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Stamped", "order-8");
        await hub.WaitForCompletionAsync(id);

        // Act
        var newId = await hub.Client.RestartAsync(id, restartWithNewInstanceId: true);
        var restarted = await hub.WaitForCompletionAsync(newId);

        // Assert
        Assert.NotEqual(id, newId);
        Assert.Equal("order-8#2", restarted.ReadOutputAs<string>());
        var original = await hub.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        Assert.Equal("order-8#1", original!.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task Restart_ActivityOfTerminatedRunCompletesLater_ResultNotDeliveredToNewRun(StoreKind store)
    {
        // Arrange: run 1's activity (task #0) is still running when run 1 is terminated and restarted under the same id.
        var invocations = new CallCounter();
        var firstRunning = new Signal();
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<object?, string>("Sleep", async (_, _) =>
            {
                var invocation = invocations.Increment();
                if (invocation == 1)
                {
                    firstRunning.Set();
                }

                await Task.Delay(invocation == 1 ? 300 : 900);
                return $"invocation {invocation}";
            })
            .AddOrchestratorFunc<string>("Sleeper", ctx => ctx.CallActivityAsync<string>("Sleep")));
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Sleeper");
        await firstRunning.WaitAsync();
        await hub.Client.TerminateInstanceAsync(id, "restart it");
        await hub.WaitForCompletionAsync(id);

        // Act
        await hub.Client.RestartAsync(id);
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.True(result.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{result.RuntimeStatus}: {result.FailureDetails}");
        Assert.Equal("invocation 2", result.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task Restart_RunningInstanceSameId_ThrowsAlreadyExists(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Approver);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Approver");
        await hub.WaitForInstanceAsync(id, m => m?.ReadCustomStatusAs<string>() == "waiting");

        // Act
        var error = await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() => hub.Client.RestartAsync(id));

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Running, error.Status);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await hub.Client.GetInstanceAsync(id))!.RuntimeStatus);
    }

    [Theory]
    [Stores]
    public async Task ScheduleNew_IdOfRunningInstance_ThrowsAlreadyExists(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Approver);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Approver", new StartOrchestrationOptions("approval-1"));
        await hub.WaitForInstanceAsync(id, m => m?.ReadCustomStatusAs<string>() == "waiting");

        // Act + Assert
        await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() =>
            hub.Client.ScheduleNewOrchestrationInstanceAsync("Approver", new StartOrchestrationOptions("approval-1")));
    }

    [Theory]
    [Stores("@counter@x")]
    [Stores("a/b")]
    [Stores(" ")]
    public async Task ScheduleNew_InvalidInstanceId_ThrowsArgumentException(StoreKind store, string instanceId)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Approver);

        // Act + Assert
        await Assert.ThrowsAsync<ArgumentException>(() => hub.Client.ScheduleNewOrchestrationInstanceAsync("Approver", new StartOrchestrationOptions(instanceId)));
    }

    [Theory]
    [Stores]
    public async Task Suspend_TimerDueWhileSuspended_FiresOnlyAfterResume(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r.AddOrchestratorFunc<string>("Napper", async ctx =>
        {
            ctx.SetCustomStatus("napping");
            await ctx.CreateTimer(TimeSpan.FromMilliseconds(400), CancellationToken.None);
            return "woke";
        }));
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Napper");
        await hub.WaitForInstanceAsync(id, m => m?.ReadCustomStatusAs<string>() == "napping");
        await hub.Client.SuspendInstanceAsync(id);
        await hub.WaitForInstanceAsync(id, m => m?.RuntimeStatus == OrchestrationRuntimeStatus.Suspended);
        var timer = (await hub.GetHistoryAsync(id)).OfType<TimerCreatedEvent>().Single();

        // Act: wait past the timer's due time, then resume.
        await Clock.WaitPastAsync(new DateTimeOffset(DateTime.SpecifyKind(timer.FireAt, DateTimeKind.Utc)));
        using (var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hub.Client.WaitForInstanceCompletionAsync(id, cancellation: shortWait.Token));
        }

        var resumedAt = DateTimeOffset.UtcNow;
        await hub.Client.ResumeInstanceAsync(id);
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal("woke", result.ReadOutputAs<string>());
        Assert.True(result.LastUpdatedAt >= resumedAt.AddMilliseconds(-1), "completed before it was resumed");
    }

    private static void Approver(DurableTaskRegistry r) => r
        .AddOrchestratorFunc<string>("Approver", async ctx =>
        {
            ctx.SetCustomStatus("waiting");
            var decision = await ctx.WaitForExternalEvent<string>("Decision");
            ctx.SetCustomStatus($"got {decision}");
            return decision;
        });

    private static void Stamped(DurableTaskRegistry r, CallCounter stamps) => r
        .AddActivityFunc<object?, int>("Stamp", (_, _) => stamps.Increment())
        .AddOrchestratorFunc<string, string>("Stamped", async (ctx, input) => $"{input}#{await ctx.CallActivityAsync<int>("Stamp")}");
}
