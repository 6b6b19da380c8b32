using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Serverless.Runtime.Tests;

public sealed class ExtendedSessionTests
{
    private const int Steps = 50;

    [Theory]
    [Stores]
    public async Task ExtendedSessions_Enabled_LongChainDoesNotReplayFromStartAtEveryStep(StoreKind store)
    {
        // Arrange
        var starts = new CallCounter();
        await using var hub = await TestHub.StartAsync(store, r => Chain(r, starts), o => o.ExtendedSessionsEnabled = true);

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Chain", 0);
        var result = await hub.WaitForCompletionAsync(id);

        // Assert: the orchestrator body started once per cached executor, not once per step.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(Steps, result.ReadOutputAs<int>());
        Assert.InRange(starts.Value, 1, 3);
    }

    [Theory]
    [Stores]
    public async Task ExtendedSessions_Disabled_ReplaysEveryStepWithIdenticalResult(StoreKind store)
    {
        // Arrange
        var starts = new CallCounter();
        await using var hub = await TestHub.StartAsync(store, r => Chain(r, starts), o => o.ExtendedSessionsEnabled = false);

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Chain", 0);
        var result = await hub.WaitForCompletionAsync(id);

        // Assert: one start for the first step plus one replay per activity completion.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(Steps, result.ReadOutputAs<int>());
        Assert.Equal(Steps + 1, starts.Value);
        Assert.Equal(0, hub.Worker.CachedSessions);
    }

    [Theory]
    [Stores]
    public async Task ExtendedSessions_Enabled_SameHistoryAsWithoutCache(StoreKind store)
    {
        // Arrange
        var cachedStarts = new CallCounter();
        var replayStarts = new CallCounter();
        await using var cached = await TestHub.StartAsync(store, r => Chain(r, cachedStarts), o => o.ExtendedSessionsEnabled = true);
        await using var replaying = await TestHub.StartAsync(store, r => Chain(r, replayStarts), o => o.ExtendedSessionsEnabled = false);

        // Act
        var a = await cached.Client.ScheduleNewOrchestrationInstanceAsync("Chain", 0);
        var b = await replaying.Client.ScheduleNewOrchestrationInstanceAsync("Chain", 0);
        await cached.WaitForCompletionAsync(a);
        await replaying.WaitForCompletionAsync(b);

        // Assert: the recorded decisions (what was scheduled, with which input) do not depend on the cache.
        Assert.Equal(Decisions(await replaying.GetHistoryAsync(b)), Decisions(await cached.GetHistoryAsync(a)));
    }

    [Theory]
    [Stores]
    public async Task ExtendedSessions_IdleLongerThanTimeout_EvictedAndReplayedCorrectly(StoreKind store)
    {
        // Arrange: the orchestration idles on a 300 ms timer, longer than the 50 ms idle timeout.
        var starts = new CallCounter();
        await using var hub = await TestHub.StartAsync(store, 
            r => r
                .AddActivityFunc<int, int>("Increment", (_, x) => x + 1)
                .AddOrchestratorFunc<int, int>("Idler", async (ctx, x) =>
                {
                    starts.Increment();
                    x = await ctx.CallActivityAsync<int>("Increment", x);
                    await ctx.CreateTimer(TimeSpan.FromMilliseconds(300), CancellationToken.None);
                    return await ctx.CallActivityAsync<int>("Increment", x);
                }),
            o =>
            {
                o.ExtendedSessionsEnabled = true;
                o.ExtendedSessionIdleTimeout = TimeSpan.FromMilliseconds(50);
            });

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Idler", 0);
        var result = await hub.WaitForCompletionAsync(id);

        // Assert: the cached executor was dropped while idle and the instance replayed from history to the same result.
        Assert.Equal(2, result.ReadOutputAs<int>());
        Assert.True(starts.Value >= 2, $"the orchestrator started {starts.Value} time(s); the idle session was not evicted");
    }

    [Theory]
    [Stores]
    public async Task ExtendedSessions_ManyWaitingInstances_CacheBoundedByCacheSize(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, 
            r => r.AddOrchestratorFunc<string>("Waiter", async ctx =>
            {
                ctx.SetCustomStatus("waiting");
                return await ctx.WaitForExternalEvent<string>("Go");
            }),
            o =>
            {
                o.ExtendedSessionsEnabled = true;
                o.ExtendedSessionCacheSize = 5;
            });

        // Act
        var ids = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            ids.Add(await hub.Client.ScheduleNewOrchestrationInstanceAsync("Waiter"));
        }

        foreach (var id in ids)
        {
            await hub.WaitForInstanceAsync(id, m => m?.ReadCustomStatusAs<string>() == "waiting");
        }

        var cached = hub.Worker.CachedSessions;
        foreach (var id in ids)
        {
            await hub.Client.RaiseEventAsync(id, "Go", id);
        }

        var results = await Task.WhenAll(ids.Select(id => hub.WaitForCompletionAsync(id)));

        // Assert: at most 5 waiting instances stay in memory; the evicted ones replay from their rows when the event comes.
        Assert.InRange(cached, 1, 5);
        Assert.All(results, r => Assert.Equal(r.InstanceId, r.ReadOutputAs<string>()));
    }

    private static IEnumerable<string> Decisions(IEnumerable<HistoryEvent> history) => history.Select(e => e switch
    {
        TaskScheduledEvent t => $"TaskScheduled:{t.EventId}:{t.Name}:{t.Input}",
        TaskCompletedEvent t => $"TaskCompleted:{t.TaskScheduledId}:{t.Result}",
        ExecutionCompletedEvent t => $"ExecutionCompleted:{t.OrchestrationStatus}:{t.Result}",
        _ => null,
    }).OfType<string>();

    private static void Chain(DurableTaskRegistry r, CallCounter starts) => r
        .AddActivityFunc<int, int>("Increment", (_, x) => x + 1)
        .AddOrchestratorFunc<int, int>("Chain", async (ctx, x) =>
        {
            starts.Increment();
            for (var i = 0; i < Steps; i++)
            {
                x = await ctx.CallActivityAsync<int>("Increment", x);
            }

            return x;
        });
}
