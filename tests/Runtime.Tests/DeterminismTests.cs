using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Serverless.Runtime.Tests;

public sealed class DeterminismTests
{
    [Theory]
    [Stores]
    public async Task Orchestrator_AwaitsTaskDelay_FailsWithRuleViolation(StoreKind store)
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
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(typeof(OrchestrationRuleViolationException).FullName, result.FailureDetails!.ErrorType);
        Assert.Contains("durable task", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [Stores]
    public async Task Orchestrator_AwaitsTaskRun_FailsWithRuleViolation(StoreKind store)
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
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(typeof(OrchestrationRuleViolationException).FullName, result.FailureDetails!.ErrorType);
    }

    [Theory]
    [Stores(true)]
    [Stores(false)]
    public async Task Orchestrator_AwaitsTaskDelayWhileActivityPending_FailsWithRuleViolation(StoreKind store, bool extendedSessions)
    {
        // Arrange: a durable task is open, so the first step cannot tell; the violation must surface at a later step.
        await using var hub = await TestHub.StartAsync(store, 
            r => r
                .AddActivityFunc<object?, string>("Work", (_, _) => "done")
                .AddOrchestratorFunc<string>("Mixed", async ctx =>
                {
                    var work = ctx.CallActivityAsync<string>("Work");
                    await Task.Delay(20);
                    return await work;
                }),
            o => o.ExtendedSessionsEnabled = extendedSessions);

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Mixed");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(typeof(OrchestrationRuleViolationException).FullName, result.FailureDetails!.ErrorType);
    }

    [Theory]
    [Stores]
    public async Task Orchestrator_ContextUsedAfterConfigureAwaitFalse_FailsWithRuleViolation(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<object?, string>("Work", (_, _) => "done")
            .AddOrchestratorFunc<string>("LeavesThread", async ctx =>
            {
                await Task.Delay(20).ConfigureAwait(false);
                return await ctx.CallActivityAsync<string>("Work");
            }));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("LeavesThread");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(typeof(OrchestrationRuleViolationException).FullName, result.FailureDetails!.ErrorType);
    }

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
        Assert.Equal(typeof(NonDeterministicOrchestrationException).FullName, failure.ErrorType);
        Assert.Contains("task #0", failure.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("ChargeCard", failure.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("ReserveStock", failure.ErrorMessage, StringComparison.Ordinal);
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
        Assert.Equal(typeof(NonDeterministicOrchestrationException).FullName, result.FailureDetails!.ErrorType);
        Assert.Contains("CreateTimer", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("task #0", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [Stores]
    public async Task Orchestrator_NewGuidAndCurrentTime_SameOnEveryReplay(StoreKind store)
    {
        // Arrange: without extended sessions every step replays from the start.
        await using var hub = await TestHub.StartAsync(store, 
            r => r
                .AddActivityFunc<object?, string>("Noop", (_, _) => "ok")
                .AddOrchestratorFunc<string[]>("Stable", async ctx =>
                {
                    var guid = ctx.NewGuid();
                    var time = ctx.CurrentUtcDateTime;
                    if (!ctx.IsReplaying)
                    {
                        ctx.SetCustomStatus($"{guid}|{time:o}");
                    }

                    await ctx.CallActivityAsync<string>("Noop");
                    await ctx.CallActivityAsync<string>("Noop");
                    return [guid.ToString(), time.ToString("o")];
                }),
            o => o.ExtendedSessionsEnabled = false);

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Stable");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert: the values the last replay returned equal the ones the first (non-replaying) run recorded.
        var values = result.ReadOutputAs<string[]>()!;
        Assert.Equal($"{values[0]}|{values[1]}", result.ReadCustomStatusAs<string>());
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
