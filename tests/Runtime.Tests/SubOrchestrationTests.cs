using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Serverless.DurableTask;

namespace Serverless.Runtime.Tests;

public sealed class SubOrchestrationTests
{
    [Theory]
    [Stores]
    public async Task CallSubOrchestrator_ChildCompletes_ParentReceivesResult(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<string, string>("Upper", (_, s) => s.ToUpperInvariant())
            .AddOrchestratorFunc<string, string>("Child", async (ctx, s) => $"{await ctx.CallActivityAsync<string>("Upper", s)} (parent {ctx.Parent?.InstanceId})")
            .AddOrchestratorFunc<string, string>("Parent", (ctx, s) => ctx.CallSubOrchestratorAsync<string>("Child", s)));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Parent", "hello");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal($"HELLO (parent {id})", result.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task CallSubOrchestrator_FanOutTo300Children_AllCompleteAndParentSumsTheirResults(StoreKind store)
    {
        // Arrange: one step starts 300 children (long ids: more than one store notification can name at once).
        const int Children = 300;
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<int, int>("Child", (_, x) => Task.FromResult(x * 2))
            .AddOrchestratorFunc<int>("Parent", async ctx =>
            {
                var children = Enumerable.Range(0, Children).Select(i =>
                    ctx.CallSubOrchestratorAsync<int>("Child", i, new SubOrchestrationOptions(instanceId: $"{ctx.InstanceId}-child-with-a-long-instance-id-{i:D4}")));
                return (await Task.WhenAll(children)).Sum();
            }));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Parent");
        var result = await hub.WaitForCompletionAsync(id, TimeSpan.FromSeconds(60));

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(Enumerable.Range(0, Children).Sum(i => i * 2), result.ReadOutputAs<int>());
    }

    [Theory]
    [Stores]
    public async Task CallSubOrchestrator_FixedInstanceId_ChildVisibleWithParent(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<int, int>("Child", (_, x) => Task.FromResult(x + 1))
            .AddOrchestratorFunc<int>("Parent", ctx => ctx.CallSubOrchestratorAsync<int>("Child", 41, new SubOrchestrationOptions(instanceId: "child-of-parent"))));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Parent");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(42, result.ReadOutputAs<int>());
        var child = await hub.Client.GetInstanceAsync("child-of-parent", getInputsAndOutputs: true);
        Assert.NotNull(child);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, child.RuntimeStatus);
        // The SDK's OrchestrationMetadata has no parent id: the child's ExecutionStarted event names its parent.
        var started = (await hub.GetHistoryAsync("child-of-parent")).OfType<ExecutionStartedEvent>().Single();
        Assert.Equal(id, started.ParentInstance?.OrchestrationInstance?.InstanceId);
    }

    [Theory]
    [Stores]
    public async Task CallSubOrchestrator_ChildContinuesAsNew_ParentReceivesFinalResult(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<int, int>("Countdown", (ctx, n) =>
            {
                if (n > 0)
                {
                    ctx.ContinueAsNew(n - 1);
                }

                return Task.FromResult(n);
            })
            .AddOrchestratorFunc<int>("Parent", ctx => ctx.CallSubOrchestratorAsync<int>("Countdown", 5)));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Parent");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(0, result.ReadOutputAs<int>());
    }

    [Theory]
    [Stores]
    public async Task CallSubOrchestrator_FanOut_AllChildResultsReturned(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<int, int>("Triple", (_, x) => x * 3)
            .AddOrchestratorFunc<int, int>("Child", (ctx, x) => ctx.CallActivityAsync<int>("Triple", x))
            .AddOrchestratorFunc<int[]>("Parent", ctx => Task.WhenAll(Enumerable.Range(1, 10).Select(i => ctx.CallSubOrchestratorAsync<int>("Child", i)))));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Parent");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(Enumerable.Range(1, 10).Select(i => i * 3), result.ReadOutputAs<int[]>());
    }

    [Theory]
    [Stores]
    public async Task CallSubOrchestrator_InstanceIdAlreadyRunning_ParentTaskFailsWithAlreadyExists(StoreKind store)
    {
        // Arrange: two children with the same fixed id are started in the same step.
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<string>("Child", ctx => ctx.WaitForExternalEvent<string>("Finish"))
            .AddOrchestratorFunc<string>("Parent", async ctx =>
            {
                var first = ctx.CallSubOrchestratorAsync<string>("Child", null, new SubOrchestrationOptions(instanceId: "shared-child"));
                var second = ctx.CallSubOrchestratorAsync<string>("Child", null, new SubOrchestrationOptions(instanceId: "shared-child"));
                string conflict;
                try
                {
                    await second;
                    conflict = "no conflict";
                }
                catch (TaskFailedException ex)
                {
                    conflict = ex.FailureDetails.ErrorType;
                }

                return $"{conflict} / {await first}";
            }));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Parent");
        await hub.WaitForInstanceAsync("shared-child", m => m?.RuntimeStatus == OrchestrationRuntimeStatus.Running);
        await hub.Client.RaiseEventAsync("shared-child", "Finish", "first child finished");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal($"{typeof(OrchestrationAlreadyExistsException).FullName} / first child finished", result.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task CallSubOrchestrator_ChildFails_ParentCatchesTaskFailedException(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc("Child", ChildBreaks)
            .AddOrchestratorFunc<string>("Parent", async ctx =>
            {
                try
                {
                    return await ctx.CallSubOrchestratorAsync<string>("Child");
                }
                catch (TaskFailedException ex)
                {
                    return $"{ex.TaskName}: {ex.FailureDetails.ErrorType}: {ex.FailureDetails.ErrorMessage}";
                }
            }));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Parent");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("Child: System.InvalidOperationException: child broke", result.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task CallSubOrchestrator_ChildFailsUnhandled_ParentFailsWithChildFailureInside(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc("Child", ChildBreaks)
            .AddOrchestratorFunc<string>("Parent", ctx => ctx.CallSubOrchestratorAsync<string>("Child")));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Parent");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(typeof(TaskFailedException).FullName, result.FailureDetails!.ErrorType);
        Assert.Equal("child broke", result.FailureDetails.InnerFailure!.ErrorMessage);
    }

    private static Task<string> ChildBreaks(TaskOrchestrationContext context) => throw new InvalidOperationException("child broke");
}
