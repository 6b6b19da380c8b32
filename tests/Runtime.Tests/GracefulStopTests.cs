using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Serverless.Runtime.Tests;

public sealed class GracefulStopTests
{
    [Theory]
    [Stores]
    public async Task StopAsync_ActivityFinishesWithinGrace_ResultCommittedAndOrchestrationCompletesAfterRestart(StoreKind store)
    {
        // Arrange
        using var dir = new TempDirectory();
        var runs = new CallCounter();
        var finished = new CallCounter();
        var started = new Signal();
        void Tasks(DurableTaskRegistry r) => r
            .AddActivityFunc<object?, string>("Slow", async (_, _) =>
            {
                runs.Increment();
                started.Set();
                await Task.Delay(TimeSpan.FromMilliseconds(500));
                finished.Increment();
                return "slow result";
            })
            .AddOrchestratorFunc<string>("UsesSlow", async ctx => $"got {await ctx.CallActivityAsync<string>("Slow")}");

        var first = await TestHub.StartAsync(store, Tasks, o => o.ShutdownGracePeriod = TimeSpan.FromSeconds(5), directory: dir.Path);
        var id = await first.Client.ScheduleNewOrchestrationInstanceAsync("UsesSlow");
        await started.WaitAsync();

        // Act
        await first.DisposeAsync();
        var finishedBeforeRestart = finished.Value;
        await using var second = await TestHub.StartAsync(store, Tasks, directory: dir.Path);
        var result = await second.WaitForCompletionAsync(id);

        // Assert: the stop waited for the activity, its result was committed, and it was not run again.
        Assert.Equal(1, finishedBeforeRestart);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("got slow result", result.ReadOutputAs<string>());
        Assert.Equal(1, runs.Value);
    }

    [Theory]
    [Stores]
    public async Task StopAsync_DuringFanOut_RestartCompletesWithExactResult(StoreKind store)
    {
        // Arrange: 40 activities, some of which are running when the host stops.
        using var dir = new TempDirectory();
        var executions = new CallCounter();
        var someRan = new Signal();
        void Tasks(DurableTaskRegistry r) => r
            .AddActivityFunc<int, int>("SlowSquare", async (ctx, x) =>
            {
                if (executions.Increment() >= 5)
                {
                    someRan.Set();
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50), ctx.Store().CancellationToken);
                return x * x;
            })
            .AddOrchestratorFunc<int>("FanOut", async ctx =>
                (await Task.WhenAll(Enumerable.Range(1, 40).Select(i => ctx.CallActivityAsync<int>("SlowSquare", i)))).Sum());

        var first = await TestHub.StartAsync(store, Tasks, o =>
        {
            o.MaxConcurrentActivityFunctions = 4;
            o.ShutdownGracePeriod = TimeSpan.FromMilliseconds(20);
        }, directory: dir.Path);
        var id = await first.Client.ScheduleNewOrchestrationInstanceAsync("FanOut");
        await someRan.WaitAsync();

        // Act
        await first.DisposeAsync();
        await using var second = await TestHub.StartAsync(store, Tasks, directory: dir.Path);
        var result = await second.WaitForCompletionAsync(id);

        // Assert: every activity result counted exactly once, however the stop cut through the work.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(Enumerable.Range(1, 40).Sum(i => i * i), result.ReadOutputAs<int>());
        Assert.True(executions.Value >= 40);
    }

    [Theory]
    [Stores]
    public async Task StopAsync_ActivityOutlastsGrace_CancelledAndRunAgainAfterRestart(StoreKind store)
    {
        // Arrange
        using var dir = new TempDirectory();
        var runs = new CallCounter();
        var cancelled = new CallCounter();
        var started = new Signal();
        var keys = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void Tasks(DurableTaskRegistry r) => r
            .AddActivityFunc<object?, string>("Endless", async (ctx, _) =>
            {
                keys.Enqueue(ctx.Store().IdempotencyKey);
                if (runs.Increment() == 1)
                {
                    started.Set();
                    try
                    {
                        await Task.Delay(Timeout.InfiniteTimeSpan, ctx.Store().CancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        cancelled.Increment();
                        throw;
                    }
                }

                return $"run {runs.Value}";
            })
            .AddOrchestratorFunc<string>("UsesEndless", ctx => ctx.CallActivityAsync<string>("Endless"));

        var first = await TestHub.StartAsync(store, Tasks, o => o.ShutdownGracePeriod = TimeSpan.FromMilliseconds(200), directory: dir.Path);
        var id = await first.Client.ScheduleNewOrchestrationInstanceAsync("UsesEndless");
        await started.WaitAsync();

        // Act
        await first.DisposeAsync();
        await using var second = await TestHub.StartAsync(store, Tasks, directory: dir.Path);
        var result = await second.WaitForCompletionAsync(id);

        // Assert: the cancelled run was not recorded as a failure; the activity ran again after the restart, with the same idempotency key.
        Assert.Equal(1, cancelled.Value);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("run 2", result.ReadOutputAs<string>());
        Assert.DoesNotContain(await second.Client.GetOrchestrationHistoryAsync(id), e => e.EventType == EventType.TaskFailed);
        Assert.Equal(2, keys.Count);
        Assert.Single(keys.Distinct());
    }
}
