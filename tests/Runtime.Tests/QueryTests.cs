using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;
using Serverless.DurableTask.Engine;

namespace Serverless.Runtime.Tests;

public sealed class QueryTests
{
    [Theory]
    [Stores]
    public async Task GetAllInstances_25InstancesPageSize10_ThreePagesWithoutDuplicates(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Samples);
        var ids = new HashSet<string>();
        for (var i = 0; i < 25; i++)
        {
            ids.Add(await hub.Client.ScheduleNewOrchestrationInstanceAsync("Quick", i));
        }

        // Act
        var pages = new List<Page<OrchestrationMetadata>>();
        await foreach (var page in hub.Client.GetAllInstancesAsync(new OrchestrationQuery { PageSize = 10 }).AsPages())
        {
            pages.Add(page);
        }

        // Assert
        Assert.Equal([10, 10, 5], pages.Select(p => p.Values.Count));
        Assert.NotNull(pages[0].ContinuationToken);
        Assert.NotNull(pages[1].ContinuationToken);
        Assert.Null(pages[2].ContinuationToken);
        var seen = pages.SelectMany(p => p.Values).Select(m => m.InstanceId).ToList();
        Assert.Equal(25, seen.Distinct().Count());
        Assert.True(ids.SetEquals(seen));
    }

    [Theory]
    [Stores]
    public async Task QueryInstances_ContinuationToken_ResumesAfterLastItem(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Samples);
        for (var i = 0; i < 7; i++)
        {
            await hub.Client.ScheduleNewOrchestrationInstanceAsync("Quick", i);
        }

        // Act
        var first = await FirstPageAsync(hub, new OrchestrationQuery { PageSize = 4 });
        var second = await FirstPageAsync(hub, new OrchestrationQuery { PageSize = 4, ContinuationToken = first.ContinuationToken });

        // Assert
        Assert.Equal(4, first.Values.Count);
        Assert.Equal(3, second.Values.Count);
        Assert.Null(second.ContinuationToken);
        Assert.Empty(first.Values.Select(v => v.InstanceId).Intersect(second.Values.Select(v => v.InstanceId)));
    }

    [Theory]
    [Stores]
    public async Task QueryInstances_StatusFilter_ReturnsOnlyMatchingStatuses(StoreKind store)
    {
        // Arrange: 3 completed, 2 running, 1 failed.
        await using var hub = await TestHub.StartAsync(store, Samples);
        var completed = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            completed.Add(await hub.Client.ScheduleNewOrchestrationInstanceAsync("Quick", i));
        }

        var running = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            running.Add(await hub.Client.ScheduleNewOrchestrationInstanceAsync("Waiter"));
        }

        var failed = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Boom");
        foreach (var id in completed.Append(failed))
        {
            await hub.WaitForCompletionAsync(id);
        }

        foreach (var id in running)
        {
            await hub.WaitForInstanceAsync(id, m => m?.RuntimeStatus == OrchestrationRuntimeStatus.Running);
        }

        // Act
        var runningPage = await FirstPageAsync(hub, new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Running] });
        var finishedPage = await FirstPageAsync(hub, new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed] });

        // Assert
        Assert.Equal(running.Order(), runningPage.Values.Select(m => m.InstanceId).Order());
        Assert.Equal(completed.Append(failed).Order(), finishedPage.Values.Select(m => m.InstanceId).Order());
        Assert.Equal(OrchestrationRuntimeStatus.Failed, finishedPage.Values.Single(m => m.InstanceId == failed).RuntimeStatus);
    }

    [Theory]
    [Stores]
    public async Task QueryInstances_InstanceIdPrefix_ReturnsOnlyPrefixedIds(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Samples);
        foreach (var id in new[] { "order-1", "order-2", "order-3", "invoice-1", "orders" })
        {
            await hub.Client.ScheduleNewOrchestrationInstanceAsync("Quick", 0, new StartOrchestrationOptions(id));
        }

        // Act
        var ids = new List<string>();
        await foreach (var m in hub.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = "order-" }))
        {
            ids.Add(m.InstanceId);
        }

        // Assert
        Assert.Equal(["order-1", "order-2", "order-3"], ids.Order());
    }

    [Theory]
    [Stores]
    public async Task QueryInstances_NameFilter_MatchesOrchestratorNameCaseInsensitively(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Samples);
        await hub.Client.ScheduleNewOrchestrationInstanceAsync("Quick", 1);
        var waiters = new[]
        {
            await hub.Client.ScheduleNewOrchestrationInstanceAsync("Waiter"),
            await hub.Client.ScheduleNewOrchestrationInstanceAsync("Waiter"),
        };

        // Act: Microsoft's OrchestrationQuery has no name filter (our old client query had one); the store's query,
        // which the runtime's own callers use, keeps it.
        var page = await hub.Store.QueryInstancesAsync(new InstanceQuery { Name = "waiter" }, entities: false, CancellationToken.None);

        // Assert
        Assert.Equal(waiters.Order(), page.Values.Select(m => m.InstanceId).Order());
        Assert.All(page.Values, m => Assert.Equal("Waiter", m.Name));
    }

    [Theory]
    [Stores]
    public async Task QueryInstances_CreatedRange_ReturnsOnlyInstancesCreatedInside(StoreKind store)
    {
        // Arrange: three batches separated by two boundaries.
        await using var hub = await TestHub.StartAsync(store, Samples);
        var before = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Quick", 1);
        var from = await Clock.BoundaryAsync();
        var inside = new[]
        {
            await hub.Client.ScheduleNewOrchestrationInstanceAsync("Quick", 2),
            await hub.Client.ScheduleNewOrchestrationInstanceAsync("Quick", 3),
        };
        var to = await Clock.BoundaryAsync();
        var after = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Quick", 4);

        // Act
        var page = await FirstPageAsync(hub, new OrchestrationQuery { CreatedFrom = from, CreatedTo = to });
        var fromOnly = await FirstPageAsync(hub, new OrchestrationQuery { CreatedFrom = from });

        // Assert
        Assert.Equal(inside.Order(), page.Values.Select(m => m.InstanceId).Order());
        Assert.Equal(inside.Append(after).Order(), fromOnly.Values.Select(m => m.InstanceId).Order());
        Assert.DoesNotContain(before, fromOnly.Values.Select(m => m.InstanceId));
    }

    [Theory]
    [Stores]
    public async Task QueryInstances_FetchInputsAndOutputs_ControlsPayloads(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, Samples);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Quick", 5);
        await hub.WaitForCompletionAsync(id);

        // Act
        var without = await FirstPageAsync(hub, new OrchestrationQuery());
        var with = await FirstPageAsync(hub, new OrchestrationQuery { FetchInputsAndOutputs = true });

        // Assert
        Assert.Null(without.Values.Single().SerializedInput);
        Assert.Null(without.Values.Single().SerializedOutput);
        Assert.Equal(5, with.Values.Single().ReadInputAs<int>());
        Assert.Equal(5, with.Values.Single().ReadOutputAs<int>());
    }

    [Theory]
    [Stores]
    public async Task GetAllInstances_EntitiesPresent_ListsOnlyOrchestrations(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => Samples(r.AddEntity<Counter>()));
        var entity = new EntityInstanceId(nameof(Counter), "q");
        await hub.Client.Entities.SignalEntityAsync(entity, "Add", 1);
        await hub.WaitForEntityAsync(entity, e => e is not null);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Quick", 1);

        // Act
        var listed = new List<string>();
        await foreach (var m in hub.Client.GetAllInstancesAsync())
        {
            listed.Add(m.InstanceId);
        }

        // Assert
        Assert.Equal([id], listed);
        Assert.Null(await hub.Client.GetInstanceAsync(entity.ToString()));
    }

    private static void Samples(DurableTaskRegistry r) => r
        .AddOrchestratorFunc<int, int>("Quick", (_, x) => Task.FromResult(x))
        .AddOrchestratorFunc("Boom", Boom)
        .AddOrchestratorFunc<string>("Waiter", ctx => ctx.WaitForExternalEvent<string>("Go"));

    /// <summary>Reads one page as Microsoft's pageable hands it out, starting at the query's continuation token.</summary>
    private static async Task<Page<OrchestrationMetadata>> FirstPageAsync(TestHub hub, OrchestrationQuery query)
    {
        using var cts = new CancellationTokenSource(TestHub.DefaultTimeout);
        await foreach (var page in hub.Client.GetAllInstancesAsync(query).AsPages(query.ContinuationToken, query.PageSize).WithCancellation(cts.Token))
        {
            return page;
        }

        throw new InvalidOperationException("The query returned no page at all.");
    }

    private static Task<string> Boom(TaskOrchestrationContext context) => throw new InvalidOperationException("boom");
}
