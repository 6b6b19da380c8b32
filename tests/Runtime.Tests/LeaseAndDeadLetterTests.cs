using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Serverless.DurableTask.Engine;

namespace Serverless.Runtime.Tests;

/// <summary>
/// Leases and poison handling. To act as a second (crashed or failing) worker, a test takes work items from the
/// store itself: either before the hub's worker starts, or while the worker's only activity slot is held by a
/// gated activity, so the test is the only reader of the ready queue.
/// </summary>
public sealed class LeaseAndDeadLetterTests
{
    private const int MaxDequeueCount = 3;

    [Theory]
    [Stores]
    public async Task Activity_Throws_IsNormalFailureNotDeadLettered(StoreKind store)
    {
        // Arrange
        var attempts = new CallCounter();
        await using var hub = await TestHub.StartAsync(store,
            r => r
                .AddActivityFunc<object?, string>("Throws", (_, _) => Fail.Always(attempts, "bad"))
                .AddOrchestratorFunc<string>("CallsThrows", ctx => ctx.CallActivityAsync<string>("Throws")),
            o => o.MaxDequeueCount = MaxDequeueCount);

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("CallsThrows");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert: one delivery, an ordinary task failure, nothing in the dead-letter table.
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(typeof(TaskFailedException).FullName, result.FailureDetails!.ErrorType);
        Assert.Equal(1, attempts.Value);
        Assert.Empty(await hub.Store.GetDeadLettersAsync(10, CancellationToken.None));
    }

    [Theory]
    [Stores]
    public async Task OrchestrationWorkItem_AbandonedMaxDequeueCountTimes_DeadLetteredAndInstanceFailed(StoreKind store)
    {
        // Arrange: the worker is not started yet; the test plays a worker that keeps failing the step.
        var bodyRuns = new CallCounter();
        await using var hub = TestHub.Create(store,
            r => r.AddOrchestratorFunc<string>("Never", _ =>
            {
                bodyRuns.Increment();
                return Task.FromResult("ran");
            }),
            o => o.MaxDequeueCount = MaxDequeueCount);
        using var cts = new CancellationTokenSource(TestHub.DefaultTimeout);
        await hub.Store.InitializeAsync(cts.Token);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Never");
        for (var delivery = 0; delivery < MaxDequeueCount; delivery++)
        {
            var item = await hub.Store.LockNextOrchestrationWorkItemAsync(cts.Token);
            Assert.Equal(id, item.InstanceId);
            Assert.Equal(delivery, item.Messages.Single().DequeueCount);
            await hub.Store.AbandonOrchestrationWorkItemAsync(item);
        }

        // Act
        await hub.RunAsync();
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal("Serverless.DurableTask.PoisonMessage", result.FailureDetails!.ErrorType);
        Assert.Contains($"{MaxDequeueCount} times", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("ExecutionStarted", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        var dead = Assert.Single(await hub.Store.GetDeadLettersAsync(10, CancellationToken.None));
        Assert.Equal(("message", id, MaxDequeueCount), (dead.Kind, dead.InstanceId, dead.DequeueCount));
        Assert.Equal(result.FailureDetails.ErrorMessage, dead.Reason);
        Assert.Equal(0, bodyRuns.Value);
    }

    [Theory]
    [Stores]
    public async Task EventMessage_AbandonedMaxDequeueCountTimes_ReasonNamesTheEventMessage(StoreKind store)
    {
        // Arrange: the instance waits for an event; after a restart the test plays a worker that keeps failing the event's step.
        using var dir = new TempDirectory();
        void Tasks(DurableTaskRegistry r) => r.AddOrchestratorFunc<string>("Waits", async ctx =>
        {
            ctx.SetCustomStatus("waiting");
            return await ctx.WaitForExternalEvent<string>("Go");
        });

        string id;
        await using (var first = await TestHub.StartAsync(store, Tasks, directory: dir.Path))
        {
            id = await first.Client.ScheduleNewOrchestrationInstanceAsync("Waits");
            await first.WaitForInstanceAsync(id, m => m?.ReadCustomStatusAs<string>() == "waiting");
        }

        await using var second = TestHub.Create(store, Tasks, o => o.MaxDequeueCount = MaxDequeueCount, directory: dir.Path);
        using var cts = new CancellationTokenSource(TestHub.DefaultTimeout);
        await second.Store.InitializeAsync(cts.Token);
        await second.Client.RaiseEventAsync(id, "Go", "now");
        for (var delivery = 0; delivery < MaxDequeueCount; delivery++)
        {
            await second.Store.AbandonOrchestrationWorkItemAsync(await second.Store.LockNextOrchestrationWorkItemAsync(cts.Token));
        }

        // Act
        await second.RunAsync();
        var result = await second.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal($"A message (EventRaised) was delivered {MaxDequeueCount} times and never processed successfully.", result.FailureDetails!.ErrorMessage);
    }

    [Theory]
    [Stores]
    public async Task ActivityWorkItem_AbandonedMaxDequeueCountTimes_DeadLetteredAndInstanceFailed(StoreKind store)
    {
        // Arrange
        var workRuns = new CallCounter();
        var blockerRunning = new Signal();
        var releaseBlocker = new Signal();
        await using var hub = await TestHub.StartAsync(store,
            r => BlockerAndWork(r, blockerRunning, releaseBlocker, workRuns),
            o =>
            {
                o.MaxDequeueCount = MaxDequeueCount;
                o.MaxConcurrentActivityFunctions = 1;
            });
        using var cts = new CancellationTokenSource(TestHub.DefaultTimeout);
        await hub.Client.ScheduleNewOrchestrationInstanceAsync("BlockerOrchestration");
        await blockerRunning.WaitAsync();

        // Act: with the worker's only activity slot busy, the test takes "Work" each time and gives it back.
        var first = hub.Store.LockNextActivityWorkItemAsync(cts.Token);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("WorkOrchestration");
        var item = await first;
        for (var delivery = 0; delivery < MaxDequeueCount; delivery++)
        {
            Assert.Equal(("Work", id, delivery), (item.Task.Name, item.Task.InstanceId, item.Task.DequeueCount));
            await hub.Store.AbandonActivityWorkItemAsync(item);
            if (delivery < MaxDequeueCount - 1)
            {
                item = await hub.Store.LockNextActivityWorkItemAsync(cts.Token);
            }
        }

        releaseBlocker.Set();
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal("Serverless.DurableTask.PoisonMessage", result.FailureDetails!.ErrorType);
        Assert.Contains("'Work'", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains($"{MaxDequeueCount} times", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        var dead = Assert.Single(await hub.Store.GetDeadLettersAsync(10, CancellationToken.None));
        Assert.Equal(("activity", id, MaxDequeueCount), (dead.Kind, dead.InstanceId, dead.DequeueCount));
        Assert.Equal(0, workRuns.Value);
    }

    [Theory]
    [Stores]
    public async Task SubOrchestration_DeadLettered_ParentSeesTaskFailedException(StoreKind store)
    {
        // Arrange: the child's activity is poisoned (taken and given back until MaxDequeueCount), so the child is dead-lettered.
        var workRuns = new CallCounter();
        var blockerRunning = new Signal();
        var releaseBlocker = new Signal();
        await using var hub = await TestHub.StartAsync(store,
            r => BlockerAndWork(r, blockerRunning, releaseBlocker, workRuns)
                .AddOrchestratorFunc<string>("Parent", async ctx =>
                {
                    try
                    {
                        return await ctx.CallSubOrchestratorAsync<string>("WorkOrchestration", null, new SubOrchestrationOptions(instanceId: "poisoned-child"));
                    }
                    catch (TaskFailedException ex)
                    {
                        return $"child failed: {ex.FailureDetails.ErrorType}";
                    }
                }),
            o =>
            {
                o.MaxDequeueCount = MaxDequeueCount;
                o.MaxConcurrentActivityFunctions = 1;
            });
        using var cts = new CancellationTokenSource(TestHub.DefaultTimeout);
        await hub.Client.ScheduleNewOrchestrationInstanceAsync("BlockerOrchestration");
        await blockerRunning.WaitAsync();
        var first = hub.Store.LockNextActivityWorkItemAsync(cts.Token);
        var parent = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Parent");
        var item = await first;
        for (var delivery = 0; delivery < MaxDequeueCount; delivery++)
        {
            await hub.Store.AbandonActivityWorkItemAsync(item);
            if (delivery < MaxDequeueCount - 1)
            {
                item = await hub.Store.LockNextActivityWorkItemAsync(cts.Token);
            }
        }

        // Act
        releaseBlocker.Set();
        var child = await hub.WaitForCompletionAsync("poisoned-child");
        var result = await hub.WaitForCompletionAsync(parent);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, child.RuntimeStatus);
        Assert.Equal("child failed: Serverless.DurableTask.PoisonMessage", result.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task ActivityLease_HolderNeverCompletes_WorkerRunsItAfterLeaseExpires(StoreKind store)
    {
        // Arrange
        var lease = TimeSpan.FromSeconds(1);
        var workRuns = new CallCounter();
        var deliveries = new ConcurrentQueue<int>();
        var blockerRunning = new Signal();
        var releaseBlocker = new Signal();
        await using var hub = await TestHub.StartAsync(store,
            r => BlockerAndWork(r, blockerRunning, releaseBlocker, workRuns, deliveries),
            o =>
            {
                o.LeaseDuration = lease;
                o.MaxConcurrentActivityFunctions = 1;
            });
        using var cts = new CancellationTokenSource(TestHub.DefaultTimeout);
        await hub.Client.ScheduleNewOrchestrationInstanceAsync("BlockerOrchestration");
        await blockerRunning.WaitAsync();

        // Act: the test leases "Work" and then behaves like a crashed worker: no completion, no renewal.
        var clock = Stopwatch.StartNew();
        var stealing = hub.Store.LockNextActivityWorkItemAsync(cts.Token);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("WorkOrchestration");
        var stolen = await stealing;
        releaseBlocker.Set();
        var result = await hub.WaitForCompletionAsync(id);
        clock.Stop();

        // Assert
        Assert.Equal("Work", stolen.Task.Name);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("worked", result.ReadOutputAs<string>());
        Assert.Equal([1], deliveries);
        Assert.True(clock.Elapsed >= lease - TimeSpan.FromMilliseconds(50), $"the orchestration completed after {clock.Elapsed}, before the {lease} lease could expire");

        // The crashed worker coming back cannot commit its stale result.
        await Assert.ThrowsAsync<LeaseLostException>(() =>
            hub.Store.CompleteActivityWorkItemAsync(stolen, HistoryEvents.TaskCompleted(stolen.Task.TaskId, "\"stale\"", DateTime.UtcNow)));
        Assert.Equal("worked", (await hub.Client.GetInstanceAsync(id, getInputsAndOutputs: true))!.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task OrchestrationLease_HolderNeverCompletes_WorkerRunsStepAfterLeaseExpires(StoreKind store)
    {
        // Arrange: before the worker starts, the test leases the first step of the instance and never finishes it.
        var lease = TimeSpan.FromSeconds(1);
        await using var hub = TestHub.Create(store,
            r => r.AddOrchestratorFunc<string>("Simple", _ => Task.FromResult("ran")),
            o => o.LeaseDuration = lease);
        using var cts = new CancellationTokenSource(TestHub.DefaultTimeout);
        await hub.Store.InitializeAsync(cts.Token);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Simple");
        var clock = Stopwatch.StartNew();
        var stolen = await hub.Store.LockNextOrchestrationWorkItemAsync(cts.Token);

        // Act
        await hub.RunAsync();
        var result = await hub.WaitForCompletionAsync(id);
        clock.Stop();

        // Assert
        Assert.Equal(id, stolen.InstanceId);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("ran", result.ReadOutputAs<string>());
        Assert.True(clock.Elapsed >= lease - TimeSpan.FromMilliseconds(50), $"the step ran after {clock.Elapsed}, before the {lease} lease could expire");
        await Assert.ThrowsAsync<LeaseLostException>(() =>
            hub.Store.CompleteOrchestrationWorkItemAsync(stolen, new OrchestrationCommit { Instance = null, ConsumedMessageIds = stolen.Messages.Select(m => m.Id).ToList() }));
    }

    [Theory]
    [Stores]
    public async Task ActivityLease_ActivityRunsLongerThanLease_LeaseRenewedAndNotRedelivered(StoreKind store)
    {
        // Arrange
        var lease = TimeSpan.FromSeconds(1);
        var runs = new CallCounter();
        await using var hub = await TestHub.StartAsync(store,
            r => r
                .AddActivityFunc<object?, string>("Long", async (_, _) =>
                {
                    runs.Increment();
                    await Task.Delay(lease * 1.6);
                    return "long done";
                })
                .AddOrchestratorFunc<string>("UsesLong", ctx => ctx.CallActivityAsync<string>("Long")),
            o => o.LeaseDuration = lease);

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("UsesLong");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert: the running worker kept renewing, so nobody else was handed the activity.
        Assert.Equal("long done", result.ReadOutputAs<string>());
        Assert.Equal(1, runs.Value);
    }

    [Theory]
    [Stores]
    public async Task CrashLoop_ActivityLeasedAcrossRestartsNeverFinishing_DeadLetteredInsteadOfLoopingForever(StoreKind store)
    {
        // Arrange 1: a process leases "Work" and dies with it (the hub is disposed while the test holds the lease).
        using var dir = new TempDirectory();
        var workRuns = new CallCounter();
        var blockerRunning = new Signal();
        var releaseBlocker = new Signal();
        string id;
        await using (var first = await TestHub.StartAsync(store, r => BlockerAndWork(r, blockerRunning, releaseBlocker, workRuns), o => o.MaxConcurrentActivityFunctions = 1, directory: dir.Path))
        {
            using var cts = new CancellationTokenSource(TestHub.DefaultTimeout);
            await first.Client.ScheduleNewOrchestrationInstanceAsync("BlockerOrchestration");
            await blockerRunning.WaitAsync();
            var stealing = first.Store.LockNextActivityWorkItemAsync(cts.Token);
            id = await first.Client.ScheduleNewOrchestrationInstanceAsync("WorkOrchestration");
            Assert.Equal("Work", (await stealing).Task.Name);
            releaseBlocker.Set();
        }

        // Arrange 2: each later process takes the recovered activity and dies before finishing it.
        for (var crash = 0; crash < MaxDequeueCount; crash++)
        {
            await using var other = TestStores.Open(store, dir.Path, TimeSpan.FromSeconds(30));
            using var cts = new CancellationTokenSource(TestHub.DefaultTimeout);
            await other.InitializeAsync(cts.Token);
            var item = await other.LockNextActivityWorkItemAsync(cts.Token);

            // PostgreSQL counts every delivery when it is leased, the first process's too; SQLite counts a delivery
            // durably only for work recovered at start-up, so the first process's lease is not counted there.
            Assert.Equal(("Work", crash + (store == StoreKind.Postgres ? 1 : 0)), (item.Task.Name, item.Task.DequeueCount));
        }

        // Act
        await using var last = await TestHub.StartAsync(store, r => BlockerAndWork(r, blockerRunning, releaseBlocker, workRuns), o => o.MaxDequeueCount = MaxDequeueCount, directory: dir.Path);
        var result = await last.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal("Serverless.DurableTask.PoisonMessage", result.FailureDetails!.ErrorType);
        Assert.Contains("crashed", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        var dead = Assert.Single(await last.Store.GetDeadLettersAsync(10, CancellationToken.None));
        Assert.Equal(("activity", id), (dead.Kind, dead.InstanceId));
        Assert.Equal(0, workRuns.Value);
    }

    [Theory]
    [Stores]
    public async Task CrashLoop_MessageLeasedAcrossRestartsNeverCommitted_DeadLetteredInsteadOfLoopingForever(StoreKind store)
    {
        // Arrange: the instance's start message is taken by one process after another, each dying before it commits.
        using var dir = new TempDirectory();
        string id;
        await using (var first = TestHub.Create(store, r => r.AddOrchestratorFunc<string>("Simple", _ => Task.FromResult("ran")), directory: dir.Path))
        {
            using var cts = new CancellationTokenSource(TestHub.DefaultTimeout);
            await first.Store.InitializeAsync(cts.Token);
            id = await first.Client.ScheduleNewOrchestrationInstanceAsync("Simple");
        }

        for (var crash = 0; crash < MaxDequeueCount; crash++)
        {
            await using var other = TestStores.Open(store, dir.Path, TimeSpan.FromSeconds(30));
            using var cts = new CancellationTokenSource(TestHub.DefaultTimeout);
            await other.InitializeAsync(cts.Token);
            var item = await other.LockNextOrchestrationWorkItemAsync(cts.Token);
            Assert.Equal(crash, item.Messages.Single().DequeueCount);
        }

        // Act
        await using var last = await TestHub.StartAsync(store, r => r.AddOrchestratorFunc<string>("Simple", _ => Task.FromResult("ran")), o => o.MaxDequeueCount = MaxDequeueCount, directory: dir.Path);
        var result = await last.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal("Serverless.DurableTask.PoisonMessage", result.FailureDetails!.ErrorType);
        Assert.Contains($"{MaxDequeueCount} times", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        var dead = Assert.Single(await last.Store.GetDeadLettersAsync(10, CancellationToken.None));
        Assert.Equal(("message", id), (dead.Kind, dead.InstanceId));
    }

    [Fact]
    public async Task SecondHost_SameSqliteDatabaseWhileFirstRuns_RefusesToStart()
    {
        // Arrange: the SQLite store's in-memory queues and leases assume one owner per database file (PostgreSQL is the store for several hosts).
        await using var first = await TestHub.StartAsync(StoreKind.Sqlite, _ => { });

        // Act
        await using var second = TestHub.Create(StoreKind.Sqlite, _ => { }, directory: first.Directory);
        var error = await Assert.ThrowsAsync<Serverless.DurableTask.StoreInUseException>(second.RunAsync);

        // Assert
        Assert.Contains("in use by another host", error.Message, StringComparison.Ordinal);
    }

    private static DurableTaskRegistry BlockerAndWork(DurableTaskRegistry r, Signal blockerRunning, Signal releaseBlocker, CallCounter workRuns, ConcurrentQueue<int>? deliveries = null) => r
        .AddActivityFunc<object?, string>("Blocker", async (_, _) =>
        {
            blockerRunning.Set();
            await releaseBlocker.WaitAsync();
            return "unblocked";
        })
        .AddActivityFunc<object?, string>("Work", (ctx, _) =>
        {
            workRuns.Increment();
            deliveries?.Enqueue(ctx.Store().DequeueCount);
            return "worked";
        })
        .AddOrchestratorFunc<string>("BlockerOrchestration", ctx => ctx.CallActivityAsync<string>("Blocker"))
        .AddOrchestratorFunc<string>("WorkOrchestration", ctx => ctx.CallActivityAsync<string>("Work"));
}
