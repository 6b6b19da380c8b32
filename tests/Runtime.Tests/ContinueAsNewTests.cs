using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Serverless.Runtime.Tests;

public sealed class ContinueAsNewTests
{
    [Theory]
    [Stores]
    public async Task ContinueAsNew_CounterLoop_CompletesWithFinalCount(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Loop);

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Loop", new LoopInput(0, 25));
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(25, result.ReadOutputAs<int>());
        Assert.Equal(new LoopInput(25, 25), result.ReadInputAs<LoopInput>());
    }

    [Theory]
    [Stores]
    public async Task ContinueAsNew_ManyGenerations_HistoryIsResetNotGrowing(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Loop);

        // Act
        var shortRun = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Loop", new LoopInput(0, 2));
        var longRun = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Loop", new LoopInput(0, 40));
        await hub.WaitForCompletionAsync(shortRun);
        await hub.WaitForCompletionAsync(longRun);

        // Assert: only the last generation's history is kept, so 40 generations leave as much as 2 do.
        var shortHistory = await hub.GetHistoryAsync(shortRun);
        var longHistory = await hub.GetHistoryAsync(longRun);
        Assert.Equal(shortHistory.Count, longHistory.Count);
        Assert.InRange(longHistory.Count, 1, 10);
        Assert.Single(longHistory, e => e.EventType == EventType.ExecutionStarted);
        Assert.DoesNotContain(longHistory, e => e.EventType == EventType.TaskScheduled);
    }

    [Theory]
    [Stores]
    public async Task ContinueAsNew_EventsRaisedDuringExecution_CarriedOverToNextGeneration(StoreKind store)
    {
        // Arrange: generation 0 is busy in an activity while two events arrive; it continues as new without reading them.
        var gateEntered = new Signal();
        var gate = new Signal();
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<object?, string>("Gate", async (_, _) =>
            {
                gateEntered.Set();
                await gate.WaitAsync();
                return "open";
            })
            .AddOrchestratorFunc<int, string>("Carrier", async (ctx, generation) =>
            {
                if (generation == 0)
                {
                    await ctx.CallActivityAsync<string>("Gate");
                    ctx.ContinueAsNew(1);
                    return "continued";
                }

                var first = await ctx.WaitForExternalEvent<string>("Item");
                var second = await ctx.WaitForExternalEvent<string>("Item");
                return $"{first},{second}";
            }));
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Carrier", 0);
        await gateEntered.WaitAsync();

        // Act
        await hub.Client.RaiseEventAsync(id, "Item", "x");
        await hub.Client.RaiseEventAsync(id, "Item", "y");
        await hub.WaitForHistoryAsync(id, h => h.Count(e => e.EventType == EventType.EventRaised) == 2);
        gate.Set();
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("x,y", result.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task ContinueAsNew_SubOrchestrationOfPreviousGenerationCompletesLater_ResultNotDeliveredToNextGeneration(StoreKind store)
    {
        // Arrange: generation 0 races a sub-orchestration (task #0) against an event; the event wins and it continues
        // as new. Generation 1's task #0 is an activity; the old child finishes first.
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<int, string>("Sleep", async (_, ms) =>
            {
                await Task.Delay(ms);
                return $"slept {ms} ms";
            })
            .AddOrchestratorFunc<string>("Child", ctx => ctx.CallActivityAsync<string>("Sleep", 300))
            .AddOrchestratorFunc<int, string>("Parent", async (ctx, generation) =>
            {
                if (generation == 0)
                {
                    await Task.WhenAny(ctx.CallSubOrchestratorAsync<string>("Child"), ctx.WaitForExternalEvent<string>("Go"));
                    ctx.ContinueAsNew(1);
                    return "continued";
                }

                return await ctx.CallActivityAsync<string>("Sleep", 900);
            }));
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Parent", 0);

        // Act
        await hub.Client.RaiseEventAsync(id, "Go", "now");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.True(result.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{result.RuntimeStatus}: {result.FailureDetails}");
        Assert.Equal("slept 900 ms", result.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task ContinueAsNew_InsideSubOrchestration_ParentStillReceivesResult(StoreKind store)
    {
        // Arrange: the child continues as new twice; its final result must still reach the parent's waiting task.
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<int, int>("Countdown", (ctx, n) =>
            {
                if (n > 0)
                {
                    ctx.ContinueAsNew(n - 1);
                }

                return Task.FromResult(n + 100);
            })
            .AddOrchestratorFunc<int>("Parent", ctx => ctx.CallSubOrchestratorAsync<int>("Countdown", 2)));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Parent");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(100, result.ReadOutputAs<int>());
    }

    [Theory]
    [Stores]
    public async Task ContinueAsNew_EventArrivesInSameStepAfterTrigger_CarriedOverToNextGeneration(StoreKind store)
    {
        // Arrange: generation 0 continues as new when its timer fires. While it is suspended the timer comes due and
        // an event arrives, so after the resume the timer firing and the event are delivered in one step, in that order.
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<int, string>("Relay", async (ctx, generation) =>
            {
                if (generation == 0)
                {
                    ctx.SetCustomStatus("timer set");

                    // Long enough that the suspend below lands before the timer fires, also on a loaded machine
                    // (with 100 ms, a slow suspend let generation 1 start and its 1 s wait time out while suspended).
                    await ctx.CreateTimer(TimeSpan.FromSeconds(2), CancellationToken.None);
                    ctx.ContinueAsNew(1);
                    return "continued";
                }

                try
                {
                    return await ctx.WaitForExternalEvent<string>("Item", TimeSpan.FromSeconds(1));
                }
                catch (TaskCanceledException)
                {
                    // The SDK's timed wait cancels when the timer wins (our engine threw TimeoutException).
                    return "the event was lost";
                }
            }));
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Relay", 0);
        await hub.WaitForInstanceAsync(id, m => m?.ReadCustomStatusAs<string>() == "timer set");
        await hub.Client.SuspendInstanceAsync(id);
        await hub.WaitForInstanceAsync(id, m => m?.RuntimeStatus == OrchestrationRuntimeStatus.Suspended);
        var timer = (await hub.GetHistoryAsync(id)).OfType<TimerCreatedEvent>().Single();
        await hub.Client.RaiseEventAsync(id, "Item", "carried");
        await Clock.WaitPastAsync(new DateTimeOffset(DateTime.SpecifyKind(timer.FireAt, DateTimeKind.Utc)));

        // Act
        await hub.Client.ResumeInstanceAsync(id);
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal("carried", result.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task ContinueAsNew_PreserveUnprocessedEventsFalse_EventsDropped(StoreKind store)
    {
        // Arrange
        var gateEntered = new Signal();
        var gate = new Signal();
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<object?, string>("Gate", async (_, _) =>
            {
                gateEntered.Set();
                await gate.WaitAsync();
                return "open";
            })
            .AddOrchestratorFunc<int, string>("Dropper", async (ctx, generation) =>
            {
                if (generation == 0)
                {
                    await ctx.CallActivityAsync<string>("Gate");
                    ctx.ContinueAsNew(1, preserveUnprocessedEvents: false);
                    return "continued";
                }

                try
                {
                    return await ctx.WaitForExternalEvent<string>("Item", TimeSpan.FromMilliseconds(200));
                }
                catch (TaskCanceledException)
                {
                    // The SDK's timed wait cancels when the timer wins (our engine threw TimeoutException).
                    return "nothing carried over";
                }
            }));
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Dropper", 0);
        await gateEntered.WaitAsync();

        // Act
        await hub.Client.RaiseEventAsync(id, "Item", "x");
        await hub.WaitForHistoryAsync(id, h => h.Any(e => e.EventType == EventType.EventRaised));
        gate.Set();
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal("nothing carried over", result.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task ContinueAsNew_HubRestartedMidLoop_ContinuesToFinalCount(StoreKind store)
    {
        // Arrange
        using var dir = new TempDirectory();
        string id;
        await using (var first = await TestHub.StartAsync(store, Loop, directory: dir.Path))
        {
            id = await first.Client.ScheduleNewOrchestrationInstanceAsync("Loop", new LoopInput(0, 30));
            await first.WaitForInstanceAsync(id, m => m?.ReadInputAs<LoopInput>() is { Count: >= 5 });
        }

        // Act
        await using var second = await TestHub.StartAsync(store, Loop, directory: dir.Path);
        var result = await second.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(30, result.ReadOutputAs<int>());
    }

    [Theory]
    [Stores]
    public async Task ContinueAsNew_TimeoutTimerOfPreviousGenerationFiresLater_IgnoredByNextGeneration(StoreKind store)
    {
        // Arrange: generation 0 waits with a 300 ms timeout (timer #0), gets the event at once and continues as new;
        // generation 1's task #0 is a 900 ms activity. The old timer fires while that activity runs.
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<object?, string>("Slow", async (_, _) =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(900));
                return "slow result";
            })
            .AddOrchestratorFunc<int, string>("Monitor", async (ctx, generation) =>
            {
                if (generation == 0)
                {
                    try
                    {
                        await ctx.WaitForExternalEvent<string>("Go", TimeSpan.FromMilliseconds(300));
                    }
                    catch (TaskCanceledException)
                    {
                        // The SDK's timed wait cancels when the timer wins (our engine threw TimeoutException).
                        // Only on a very slow machine; then no stale timer is left and the test proves nothing more.
                    }

                    ctx.ContinueAsNew(1);
                    return "continued";
                }

                return await ctx.CallActivityAsync<string>("Slow");
            }));
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Monitor", 0);

        // Act
        await hub.Client.RaiseEventAsync(id, "Go", "now");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.True(result.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{result.RuntimeStatus}: {result.FailureDetails}");
        Assert.Equal("slow result", result.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task ContinueAsNew_ActivityOfPreviousGenerationCompletesLater_ResultNotDeliveredToNextGeneration(StoreKind store)
    {
        // Arrange: generation 0 races an activity (task #0) against an event; the event wins and it continues as new.
        // Generation 1's task #0 is another activity; the old one finishes first.
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<int, string>("Sleep", async (_, ms) =>
            {
                await Task.Delay(ms);
                return $"slept {ms} ms";
            })
            .AddOrchestratorFunc<int, string>("Racer", async (ctx, generation) =>
            {
                if (generation == 0)
                {
                    await Task.WhenAny(ctx.CallActivityAsync<string>("Sleep", 300), ctx.WaitForExternalEvent<string>("Go"));
                    ctx.ContinueAsNew(1);
                    return "continued";
                }

                return await ctx.CallActivityAsync<string>("Sleep", 900);
            }));
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Racer", 0);

        // Act
        await hub.Client.RaiseEventAsync(id, "Go", "now");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.True(result.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{result.RuntimeStatus}: {result.FailureDetails}");
        Assert.Equal("slept 900 ms", result.ReadOutputAs<string>());
    }

    private static void Loop(DurableTaskRegistry r) => r
        .AddActivityFunc<int, int>("Next", (_, x) => x + 1)
        .AddOrchestratorFunc<LoopInput, int>("Loop", async (ctx, input) =>
        {
            if (input.Count >= input.Target)
            {
                return input.Count;
            }

            var next = await ctx.CallActivityAsync<int>("Next", input.Count);
            ctx.ContinueAsNew(input with { Count = next });
            return -1;
        });

    private sealed record LoopInput(int Count, int Target);
}
