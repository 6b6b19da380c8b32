using System.Text.Json;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Serverless.Runtime.Tests;

public sealed class DeterminismTests
{
    // Our engine failed an orchestrator that awaited a non-durable task (Task.Delay, Task.Run, ConfigureAwait(false))
    // with its own OrchestrationRuleViolationException. Microsoft's replay engine does not check this at run time; the
    // SDK catches it at build time instead: its analyzers (Microsoft.DurableTask.Analyzers, part of the 1.28.0 packages)
    // report DURABLE0003 (Task.Delay) and DURABLE0004 (Task.Run, threads) in orchestrator code, and this repository
    // builds with warnings as errors, so such code does not compile (this file needs the pragma below to hold the bad
    // orchestrators at all). What is left to test at run time is what the SDK then does: the step ends with nothing
    // durable scheduled and the instance waits for ever, whatever the escaped continuation does later.
#pragma warning disable DURABLE0003, DURABLE0004 // Deliberately non-deterministic orchestrators; see above.
    [Theory]
    [Stores]
    public async Task Orchestrator_AwaitsTaskDelay_NotDetectedAtRunTimeAndNeverCompletes(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<string>("Sleeps", async _ =>
            {
                await Task.Delay(50);
                return "should not get here";
            }));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Sleeps");

        // Assert
        await AssertStuckAsync(hub, id);
    }

    [Theory]
    [Stores]
    public async Task Orchestrator_AwaitsTaskRun_NotDetectedAtRunTimeAndNeverCompletes(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<int>("UsesThreadPool", async _ => await Task.Run(async () =>
            {
                await Task.Delay(50);
                return 42;
            })));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("UsesThreadPool");

        // Assert
        await AssertStuckAsync(hub, id);
    }

    [Theory]
    [Stores]
    public async Task Orchestrator_ContextUsedAfterConfigureAwaitFalse_ActivityNeverScheduledAndNeverCompletes(StoreKind store)
    {
        // Arrange: the activity is called from a thread-pool thread after the step has ended; the call is lost.
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<object?, string>("Work", (_, _) => "done")
            .AddOrchestratorFunc<string>("LeavesThread", async ctx =>
            {
                await Task.Delay(20).ConfigureAwait(false);
                return await ctx.CallActivityAsync<string>("Work");
            }));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("LeavesThread");

        // Assert
        await AssertStuckAsync(hub, id);
        Assert.DoesNotContain(await hub.GetHistoryAsync(id), e => e.EventType == EventType.TaskScheduled);
    }
#pragma warning restore DURABLE0003, DURABLE0004

    [Theory]
    [Stores]
    public async Task Orchestrator_CodeChangedWhileInstanceWaits_FailsWithNonDeterminismNamingTheStep(StoreKind store)
    {
        // Arrange: version 1 calls "ReserveStock" and then waits; it is stopped while waiting.
        using var dir = new TempDirectory();
        string id;
        await using (var v1 = await TestHub.StartAsync(store, r => Versioned(r, firstActivity: "ReserveStock"), directory: dir.Path))
        {
            id = await v1.Client.ScheduleNewOrchestrationInstanceAsync("Checkout");
            await v1.WaitForInstanceAsync(id, m => m?.ReadCustomStatusAs<string>() == "waiting");
        }

        // Act: version 2 of the code calls "ChargeCard" first; the recorded history says "ReserveStock".
        await using var v2 = await TestHub.StartAsync(store, r => Versioned(r, firstActivity: "ChargeCard"), directory: dir.Path);
        await v2.Client.RaiseEventAsync(id, "Confirm", "yes");
        var result = await v2.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        var failure = result.FailureDetails!;
        // DTFx's replay reports it (our engine's message said "task #0"; DTFx says "sequence number 0").
        Assert.Equal(NonDeterministic, failure.ErrorType);
        Assert.Contains("activity task with sequence number 0 named 'ReserveStock'", failure.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("activity task named 'ChargeCard' with this sequence number", failure.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [Stores]
    public async Task Orchestrator_CodeRemovesRecordedStep_FailsWithNonDeterminism(StoreKind store)
    {
        // Arrange: version 1 starts a timer before waiting; version 2 no longer does.
        using var dir = new TempDirectory();
        string id;
        await using (var v1 = await TestHub.StartAsync(store, r => r.AddOrchestratorFunc<string>("Reminder", async ctx =>
        {
            await ctx.CreateTimer(TimeSpan.FromMilliseconds(1), CancellationToken.None);
            ctx.SetCustomStatus("waiting");
            return await ctx.WaitForExternalEvent<string>("Confirm");
        }), directory: dir.Path))
        {
            id = await v1.Client.ScheduleNewOrchestrationInstanceAsync("Reminder");
            await v1.WaitForInstanceAsync(id, m => m?.ReadCustomStatusAs<string>() == "waiting");
        }

        // Act
        await using var v2 = await TestHub.StartAsync(store, r => r.AddOrchestratorFunc<string>("Reminder", ctx => ctx.WaitForExternalEvent<string>("Confirm")), directory: dir.Path);
        await v2.Client.RaiseEventAsync(id, "Confirm", "yes");
        var result = await v2.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        // DTFx's replay reports it (our engine's message named "CreateTimer" and "task #0").
        Assert.Equal(NonDeterministic, result.FailureDetails!.ErrorType);
        Assert.Contains("scheduled a timer task with sequence number 0 but the current replay execution hasn't (yet?) scheduled this task", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [Stores]
    public async Task Orchestrator_NewGuidAndCurrentTime_SameOnEveryReplay(StoreKind store)
    {
        // Arrange: without extended sessions every step replays from the start. The first (non-replaying) run records its
        // values as the input of the first activity; the last replay returns them. (Our engine kept a custom status set
        // only when not replaying; the SDK sends each step's custom status, and a replay that does not set it clears it,
        // so the first run's values are recorded in the history instead.)
        await using var hub = await TestHub.StartAsync(
            store,
            r => r
                .AddActivityFunc<string, string>("Noop", (_, _) => "ok")
                .AddOrchestratorFunc<string[]>("Stable", async ctx =>
                {
                    var guid = ctx.NewGuid();
                    var time = ctx.CurrentUtcDateTime;
                    await ctx.CallActivityAsync<string>("Noop", $"{guid}|{time:o}");
                    await ctx.CallActivityAsync<string>("Noop", "second");
                    return [guid.ToString(), time.ToString("o")];
                }),
            o => o.ExtendedSessionsEnabled = false);

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Stable");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert: the values the last replay returned equal the ones the first run recorded.
        var values = result.ReadOutputAs<string[]>()!;
        var recorded = (await hub.GetHistoryAsync(id)).OfType<TaskScheduledEvent>().First();
        // The replay engine records an activity's input as DTFx does: a one-element JSON array.
        Assert.Equal([$"{values[0]}|{values[1]}"], JsonSerializer.Deserialize<string[]>(recorded.Input!)!);
    }

    /// <summary>The error type DTFx's replay engine reports for a history the code no longer matches.</summary>
    private const string NonDeterministic = "DurableTask.Core.Exceptions.NonDeterministicOrchestrationException";

    /// <summary>Waits until the first step is committed, then checks the instance is still running a second later with no result.</summary>
    private static async Task AssertStuckAsync(TestHub hub, string id)
    {
        await hub.WaitForHistoryAsync(id, h => h.Any(e => e.EventType == EventType.OrchestratorStarted));
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hub.Client.WaitForInstanceCompletionAsync(id, cancellation: wait.Token));
        }

        var instance = await hub.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        Assert.Equal(OrchestrationRuntimeStatus.Running, instance!.RuntimeStatus);
        Assert.Null(instance.SerializedOutput);
    }

    private static void Versioned(DurableTaskRegistry r, string firstActivity) => r
        .AddActivityFunc<object?, string>("ReserveStock", (_, _) => "reserved")
        .AddActivityFunc<object?, string>("ChargeCard", (_, _) => "charged")
        .AddOrchestratorFunc<string>("Checkout", async ctx =>
        {
            var first = await ctx.CallActivityAsync<string>(firstActivity);
            ctx.SetCustomStatus("waiting");
            var confirmation = await ctx.WaitForExternalEvent<string>("Confirm");
            return $"{first}, {confirmation}";
        });
}
