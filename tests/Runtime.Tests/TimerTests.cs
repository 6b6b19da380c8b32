using System.Diagnostics;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Serverless.Runtime.Tests;

public sealed class TimerTests
{
    [Theory]
    [Stores]
    public async Task CreateTimer_FiresAtDueTime_NotBefore(StoreKind store)
    {
        // Arrange
        var delay = TimeSpan.FromMilliseconds(400);
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<TimerResult>("Sleeper", async ctx =>
            {
                var due = ctx.CurrentUtcDateTime.Add(delay);
                await ctx.CreateTimer(due, CancellationToken.None);
                return new TimerResult(due, ctx.CurrentUtcDateTime);
            }));

        // Act
        var clock = Stopwatch.StartNew();
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Sleeper");
        var result = await hub.WaitForCompletionAsync(id);
        clock.Stop();

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        var fired = result.ReadOutputAs<TimerResult>()!;
        Assert.True(fired.ResumedAt >= fired.Due, $"resumed at {fired.ResumedAt:o}, before the due time {fired.Due:o}");
        Assert.True(clock.Elapsed >= delay, $"completed after {clock.Elapsed}, less than the timer's {delay}");
    }

    [Theory]
    [Stores]
    public async Task CreateTimer_ManyTimersAcrossInstances_AllFire(StoreKind store)
    {
        // Arrange: 20 instances, each with 10 timers due over 10..200 ms.
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<int>("ManyTimers", async ctx =>
            {
                var timers = Enumerable.Range(1, 10).Select(i => ctx.CreateTimer(TimeSpan.FromMilliseconds(20 * i), CancellationToken.None));
                await Task.WhenAll(timers);
                return 10;
            }));

        // Act
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await hub.Client.ScheduleNewOrchestrationInstanceAsync("ManyTimers"));
        }

        var results = await Task.WhenAll(ids.Select(id => hub.WaitForCompletionAsync(id)));

        // Assert
        Assert.All(results, r => Assert.Equal(OrchestrationRuntimeStatus.Completed, r.RuntimeStatus));
        Assert.All(results, r => Assert.Equal(10, r.ReadOutputAs<int>()));
        var history = await hub.GetHistoryAsync(ids[0]);
        Assert.Equal(10, history.Count(e => e.EventType == EventType.TimerFired));
    }

    [Theory]
    [Stores]
    public async Task CreateTimer_CancelledBeforeDue_LateFiringIsIgnored(StoreKind store)
    {
        // Arrange: the timer is cancelled; its message still fires later, while the orchestration waits on a second timer.
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<string>("Cancels", async ctx =>
            {
                using var cts = new CancellationTokenSource();
                var abandoned = ctx.CreateTimer(TimeSpan.FromMilliseconds(100), cts.Token);
                cts.Cancel(); // CancelAsync would complete on another thread: not allowed in orchestrator code.
                await ctx.CreateTimer(TimeSpan.FromMilliseconds(300), CancellationToken.None);
                return abandoned.IsCanceled ? "cancelled" : "not cancelled";
            }));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Cancels");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("cancelled", result.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task CreateTimer_HubStoppedBeforeDue_FiresAfterRestartNotBeforeDueTime(StoreKind store)
    {
        // Arrange: 30 instances with timers due after the restart; the reloaded due times must stay exact.
        using var dir = new TempDirectory();
        var delay = TimeSpan.FromMilliseconds(500);
        void Tasks(DurableTaskRegistry r) => r
            .AddOrchestratorFunc<TimerResult>("Sleeper", async ctx =>
            {
                var due = ctx.CurrentUtcDateTime.Add(delay);
                await ctx.CreateTimer(due, CancellationToken.None);
                return new TimerResult(due, ctx.CurrentUtcDateTime);
            });

        var ids = new List<string>();
        await using (var first = await TestHub.StartAsync(store, Tasks, directory: dir.Path))
        {
            for (var i = 0; i < 30; i++)
            {
                ids.Add(await first.Client.ScheduleNewOrchestrationInstanceAsync("Sleeper"));
            }

            foreach (var id in ids)
            {
                await first.WaitForHistoryAsync(id, h => h.Any(e => e.EventType == EventType.TimerCreated));
            }
        }

        // Act
        await using var second = await TestHub.StartAsync(store, Tasks, directory: dir.Path);
        var results = await Task.WhenAll(ids.Select(id => second.WaitForCompletionAsync(id)));

        // Assert
        Assert.All(results, r => Assert.Equal(OrchestrationRuntimeStatus.Completed, r.RuntimeStatus));
        Assert.All(results.Select(r => r.ReadOutputAs<TimerResult>()!), fired =>
            Assert.True(fired.ResumedAt >= fired.Due, $"resumed at {fired.ResumedAt:o}, before the due time {fired.Due:o}"));
    }

    [Theory]
    [Stores]
    public async Task WaitForExternalEvent_TimeoutAndNoEvent_ThrowsTaskCanceledException(StoreKind store)
    {
        // Arrange. The SDK's semantics: a timed WaitForExternalEvent whose timer wins cancels the wait, so the await
        // throws TaskCanceledException (our engine threw a TimeoutException naming the event; the SDK's message does not).
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<string>("Impatient", async ctx =>
            {
                try
                {
                    await ctx.WaitForExternalEvent<string>("Approval", TimeSpan.FromMilliseconds(200));
                    return "received";
                }
                catch (TaskCanceledException ex)
                {
                    return ex.GetType().FullName!;
                }
            }));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Impatient");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert: the timer fired and the wait was cancelled (the history shows the timeout timer that won).
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(typeof(TaskCanceledException).FullName, result.ReadOutputAs<string>());
        var history = await hub.GetHistoryAsync(id);
        Assert.Single(history, e => e.EventType == EventType.TimerFired);
        Assert.DoesNotContain(history, e => e.EventType == EventType.EventRaised);
    }

    [Theory]
    [Stores]
    public async Task WaitForExternalEvent_TimeoutUnhandled_InstanceFailedWithTaskCanceledException(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<string>("Impatient", ctx => ctx.WaitForExternalEvent<string>("Approval", TimeSpan.FromMilliseconds(100))));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Impatient");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert: the SDK's timed wait cancels (it threw TimeoutException in our engine). An orchestrator that ends
        // cancelled is not "faulted" to DTFx's executor: reading its result throws an AggregateException out of the
        // runner, and the SDK's own worker (GrpcDurableTaskWorker.Processor) fails the orchestration with that exception.
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(typeof(AggregateException).FullName, result.FailureDetails!.ErrorType);
        Assert.Equal(typeof(TaskCanceledException).FullName, result.FailureDetails.InnerFailure?.ErrorType);
    }

    [Theory]
    [Stores]
    public async Task WaitForExternalEvent_EventBeforeTimeout_ReturnsEventAndStaleTimerIsIgnored(StoreKind store)
    {
        // Arrange: the event wins; the timeout timer still fires while the orchestration waits on a later timer.
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<string>("Patient", async ctx =>
            {
                var value = await ctx.WaitForExternalEvent<string>("Approval", TimeSpan.FromMilliseconds(800));
                await ctx.CreateTimer(TimeSpan.FromMilliseconds(1000), CancellationToken.None);
                return value;
            }));
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Patient");
        await hub.WaitForInstanceAsync(id, m => m?.RuntimeStatus == OrchestrationRuntimeStatus.Running);

        // Act
        await hub.Client.RaiseEventAsync(id, "Approval", "yes");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("yes", result.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task ScheduleNew_StartAtInFuture_PendingUntilStartTime(StoreKind store)
    {
        // Arrange
        var started = new CallCounter();
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<DateTime>("Scheduled", ctx =>
            {
                started.Increment();
                return Task.FromResult(ctx.CurrentUtcDateTime);
            }));
        var startAt = DateTimeOffset.UtcNow.AddMilliseconds(500);

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Scheduled", new StartOrchestrationOptions(StartAt: startAt));
        var before = await hub.Client.GetInstanceAsync(id);
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Pending, before!.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.True(result.ReadOutputAs<DateTime>() >= startAt.UtcDateTime, $"started at {result.ReadOutputAs<DateTime>():o}, before {startAt:o}");
        Assert.Equal(1, started.Value);
    }

    [Theory]
    [Stores]
    public async Task ScheduleNew_StartAtInFutureAndEventRaisedEarly_StaysPendingThenReceivesEvent(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<string>("Scheduled", ctx => ctx.WaitForExternalEvent<string>("Early")));
        var startAt = DateTimeOffset.UtcNow.AddMilliseconds(1200);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Scheduled", new StartOrchestrationOptions(StartAt: startAt));

        // Act: the event is processed (recorded) before the orchestration starts.
        await hub.Client.RaiseEventAsync(id, "Early", "buffered");
        await hub.WaitForHistoryAsync(id, h => h.Any(e => e.EventType == EventType.EventRaised));
        var beforeStart = await hub.Client.GetInstanceAsync(id);
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Pending, beforeStart!.RuntimeStatus);
        Assert.Equal("buffered", result.ReadOutputAs<string>());
    }

    private sealed record TimerResult(DateTime Due, DateTime ResumedAt);
}
