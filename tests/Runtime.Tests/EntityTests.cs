using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;

namespace Serverless.Runtime.Tests;

public sealed class EntityTests
{
    [Theory]
    [Stores]
    public async Task SignalEntity_FromClient_StateUpdated(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Tasks);
        var id = new EntityInstanceId(nameof(Counter), "a");

        // Act
        await hub.Client.Entities.SignalEntityAsync(id, "Add", 5);
        await hub.Client.Entities.SignalEntityAsync(id, "add", 7);
        var entity = await hub.WaitForEntityAsync(id, e => e?.State.ReadAs<int>() == 12);

        // Assert
        Assert.Equal(id, entity!.Id);
        Assert.Equal(0, entity.BacklogQueueSize);
    }

    [Theory]
    [Stores]
    public async Task CallEntity_FromOrchestration_ReturnsOperationResult(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => Tasks(r
            .AddOrchestratorFunc<string, int>("AddAndRead", async (ctx, key) =>
            {
                var counter = new EntityInstanceId(nameof(Counter), key);
                await ctx.Entities.CallEntityAsync(counter, "Add", 40);
                await ctx.Entities.CallEntityAsync(counter, "Add", 2);
                return await ctx.Entities.CallEntityAsync<int>(counter, "Get");
            })));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("AddAndRead", "b");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(42, result.ReadOutputAs<int>());
        var entity = await hub.Client.Entities.GetEntityAsync(new EntityInstanceId(nameof(Counter), "b"));
        Assert.Equal(42, entity!.State.ReadAs<int>());
    }

    [Theory]
    [Stores]
    public async Task CallEntity_AsyncOperation_ReturnsAwaitedResultAndKeepsState(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => Tasks(r
            .AddOrchestratorFunc<int[]>("AsyncCalls", async ctx =>
            {
                var counter = new EntityInstanceId(nameof(Counter), "async");
                return [await ctx.Entities.CallEntityAsync<int>(counter, "AddAndGetAsync", 2), await ctx.Entities.CallEntityAsync<int>(counter, "AddAndGetAsync", 3)];
            })));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("AsyncCalls");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal([2, 5], result.ReadOutputAs<int[]>()!);
    }

    [Theory]
    [Stores]
    public async Task SignalEntity_FromOrchestration_Delivered(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => Tasks(r
            .AddOrchestratorFunc<string>("Signaller", async ctx =>
            {
                await ctx.Entities.SignalEntityAsync(new EntityInstanceId(nameof(Counter), "c"), "Add", 3);
                return "signalled";
            })));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Signaller");
        await hub.WaitForCompletionAsync(id);
        var entity = await hub.WaitForEntityAsync(new EntityInstanceId(nameof(Counter), "c"), e => e is not null);

        // Assert
        Assert.Equal(3, entity!.State.ReadAs<int>());
    }

    [Theory]
    [Stores]
    public async Task SignalEntity_EntityToEntity_BothUpdated(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Tasks);
        var source = new EntityInstanceId(nameof(Counter), "source");
        var target = new EntityInstanceId(nameof(Counter), "target");

        // Act
        await hub.Client.Entities.SignalEntityAsync(source, "Forward", new CounterForward("target", 9));
        var targetState = await hub.WaitForEntityAsync(target, e => e is not null);

        // Assert
        Assert.Equal(9, targetState!.State.ReadAs<int>());
        Assert.Equal(9, (await hub.Client.Entities.GetEntityAsync(source))!.State.ReadAs<int>());
    }

    [Theory]
    [Stores]
    public async Task Entity_ScheduleNewOrchestration_OrchestrationRunsWithInput(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => Tasks(r
            .AddOrchestratorFunc<int, string>(Counter.ReportOrchestrator, (_, value) => Task.FromResult($"count={value}"))));
        var id = new EntityInstanceId(nameof(Counter), "reporting");
        await hub.Client.Entities.SignalEntityAsync(id, "Add", 11);

        // Act
        await hub.Client.Entities.SignalEntityAsync(id, "StartReport", "report-1");
        var report = await hub.WaitForInstanceAsync("report-1", m => m is { IsCompleted: true });

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, report!.RuntimeStatus);
        Assert.Equal("count=11", report.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task SignalEntity_200ConcurrentAdds_AllAppliedSerially(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Tasks);
        var id = new EntityInstanceId(nameof(Counter), "busy");

        // Act
        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => hub.Client.Entities.SignalEntityAsync(id, "Add", 1)));
        var entity = await hub.WaitForEntityAsync(id, e => e is { BacklogQueueSize: 0 } && e.State.ReadAs<int>() >= 200);

        // Assert: exactly 200 — none lost, none applied twice.
        Assert.Equal(200, entity!.State.ReadAs<int>());
    }

    [Theory]
    [Stores]
    public async Task EntityState_HubRestarted_Persists(StoreKind store)
    {
        // Arrange
        using var dir = new TempDirectory();
        var id = new EntityInstanceId(nameof(Counter), "durable");
        await using (var first = await TestHub.StartAsync(store, Tasks, directory: dir.Path))
        {
            await first.Client.Entities.SignalEntityAsync(id, "Add", 7);
            await first.WaitForEntityAsync(id, e => e?.State.ReadAs<int>() == 7);
        }

        // Act
        await using var second = await TestHub.StartAsync(store, Tasks, directory: dir.Path);
        var reloaded = await second.Client.Entities.GetEntityAsync(id);
        await second.Client.Entities.SignalEntityAsync(id, "Add", 1);
        var updated = await second.WaitForEntityAsync(id, e => e?.State.ReadAs<int>() != 7);

        // Assert
        Assert.Equal(7, reloaded!.State.ReadAs<int>());
        Assert.Equal(8, updated!.State.ReadAs<int>());
    }

    [Theory]
    [Stores]
    public async Task Delete_ImplicitOperation_EntityNoLongerExists(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Tasks);
        var id = new EntityInstanceId(nameof(Counter), "doomed");
        await hub.Client.Entities.SignalEntityAsync(id, "Add", 1);
        await hub.WaitForEntityAsync(id, e => e is not null);

        // Act
        await hub.Client.Entities.SignalEntityAsync(id, "delete");
        var gone = await hub.WaitForEntityAsync(id, e => e is null);

        // Assert
        Assert.Null(gone);
        Assert.Null(await hub.Client.Entities.GetEntityAsync(id));
    }

    [Theory]
    [Stores]
    public async Task GetAllEntities_SeveralCounters_ListsEachWithState(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Tasks);
        foreach (var (key, value) in new[] { ("x", 1), ("y", 2), ("z", 3) })
        {
            var id = new EntityInstanceId(nameof(Counter), key);
            await hub.Client.Entities.SignalEntityAsync(id, "Add", value);
            await hub.WaitForEntityAsync(id, e => e is not null);
        }

        // Act
        var listed = new List<EntityMetadata>();
        await foreach (var entity in hub.Client.Entities.GetAllEntitiesAsync(new EntityQuery { InstanceIdStartsWith = "@counter@", PageSize = 2 }))
        {
            listed.Add(entity);
        }

        // Assert
        Assert.Equal(["x:1", "y:2", "z:3"], listed.Select(e => $"{e.Id.Key}:{e.State.ReadAs<int>()}").Order());
        Assert.All(listed, e => Assert.Equal("counter", e.Id.Name));
    }

    [Theory]
    [Stores]
    public async Task CallEntity_OperationThrows_StateUnchangedAndOrchestratorGetsEntityOperationFailedException(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => Tasks(r
            .AddOrchestratorFunc<string>("Careful", async ctx =>
            {
                var counter = new EntityInstanceId(nameof(Counter), "guarded");
                await ctx.Entities.CallEntityAsync(counter, "Add", 5);
                string error;
                try
                {
                    await ctx.Entities.CallEntityAsync(counter, "AddThenFail", 100);
                    error = "no error";
                }
                catch (EntityOperationFailedException ex)
                {
                    error = $"{ex.OperationName}: {ex.FailureDetails.ErrorType}: {ex.FailureDetails.ErrorMessage}";
                }

                var value = await ctx.Entities.CallEntityAsync<int>(counter, "Get");
                return $"{error} | {value}";
            })));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Careful");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("AddThenFail: System.InvalidOperationException: AddThenFail(100) is refused. | 5", result.ReadOutputAs<string>());
        var entity = await hub.Client.Entities.GetEntityAsync(new EntityInstanceId(nameof(Counter), "guarded"));
        Assert.Equal(5, entity!.State.ReadAs<int>());
    }

    [Theory]
    [Stores]
    public async Task SignalEntity_OperationThrows_LaterSignalsStillApplied(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Tasks);
        var id = new EntityInstanceId(nameof(Counter), "resilient");

        // Act
        await hub.Client.Entities.SignalEntityAsync(id, "Add", 1);
        await hub.Client.Entities.SignalEntityAsync(id, "AddThenFail", 50);
        await hub.Client.Entities.SignalEntityAsync(id, "NoSuchOperation");
        await hub.Client.Entities.SignalEntityAsync(id, "Add", 2);
        var entity = await hub.WaitForEntityAsync(id, e => e is { BacklogQueueSize: 0 } && e.State.ReadAs<int>() == 3);

        // Assert
        Assert.Equal(3, entity!.State.ReadAs<int>());
    }

    [Theory]
    [Stores]
    public async Task SignalEntity_ScheduledSignalTime_AppliedNotBeforeThatTime(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Tasks);
        var id = new EntityInstanceId(nameof(Counter), "later");
        var signalTime = DateTimeOffset.UtcNow.AddMilliseconds(600);

        // Act
        await hub.Client.Entities.SignalEntityAsync(id, "Add", 4, new SignalEntityOptions { SignalTime = signalTime });
        var before = await hub.Client.Entities.GetEntityAsync(id);
        var entity = await hub.WaitForEntityAsync(id, e => e is not null);

        // Assert: the store keeps times in whole milliseconds, so compare at that precision.
        Assert.True(before is null, $"the signal was applied at {before?.LastModifiedTime:o}, before its time {signalTime:o}");
        var due = signalTime.AddTicks(-(signalTime.Ticks % TimeSpan.TicksPerMillisecond));
        Assert.True(entity!.LastModifiedTime >= due, $"applied at {entity.LastModifiedTime:o}, before {signalTime:o}");
        Assert.Equal(4, entity.State.ReadAs<int>());
    }

    private static void Tasks(DurableTaskRegistry r) => r.AddEntity<Counter>();
}
