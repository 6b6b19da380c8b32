using System.Text.Json;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.DependencyInjection;
using Serverless.DurableTask;
using Serverless.DurableTask.Client;
using Serverless.DurableTask.Engine;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.Runtime.Tests;

/// <summary>
/// Microsoft's client (<see cref="DurableTaskClient"/> and its <see cref="DurableEntityClient"/>) over both stores, built
/// the SDK's way (<c>AddDurableTaskClient(b => b.UseSqlite(...))</c>). No worker runs: where an instance has to move,
/// the test leases its step from the store and commits it by hand (<see cref="ClientFixture.StepAsync"/>), so what is
/// checked is the client and the store contract, not the dispatcher.
/// </summary>
public sealed class ClientTests
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Registration_builds_the_store_client_with_entities(string store)
    {
        await using var f = await ClientFixture.StartAsync(store);
        Assert.IsType<StoreDurableTaskClient>(f.Client);
        Assert.IsType<StoreDurableEntityClient>(f.Client.Entities);
        Assert.Same(f.Client, f.Services.GetRequiredService<IDurableTaskClientProvider>().GetClient());
        Assert.NotNull(f.Services.GetRequiredService<DurableStoreDiagnostics>());
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Schedule_writes_an_ExecutionStarted_message_and_a_pending_row(string store)
    {
        await using var f = await ClientFixture.StartAsync(store);
        var id = await f.Client.ScheduleNewOrchestrationInstanceAsync("Greet", new { Name = "Ada" }, new StartOrchestrationOptions("greet-1"));
        Assert.Equal("greet-1", id);

        var metadata = await f.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        Assert.NotNull(metadata);
        Assert.Equal("Greet", metadata.Name);
        Assert.Equal(OrchestrationRuntimeStatus.Pending, metadata.RuntimeStatus);
        Assert.Equal("Ada", metadata.ReadInputAs<JsonElement>().GetProperty("Name").GetString());

        var item = await f.LeaseAsync();
        Assert.NotNull(item);
        Assert.Equal(id, item.InstanceId);
        var started = Assert.Single(item.Messages).Event;
        Assert.Equal(P.HistoryEvent.EventTypeOneofCase.ExecutionStarted, started.EventTypeCase);
        Assert.Equal("Greet", started.ExecutionStarted.Name);
        Assert.Equal(id, started.ExecutionStarted.OrchestrationInstance.InstanceId);
        Assert.Equal("{\"Name\":\"Ada\"}", started.ExecutionStarted.Input);
        await f.Store.AbandonOrchestrationWorkItemAsync(item);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Metadata_without_data_has_no_converter_as_in_the_sdk(string store)
    {
        await using var f = await ClientFixture.StartAsync(store);
        var id = await f.Client.ScheduleNewOrchestrationInstanceAsync("Greet", 42);
        var metadata = await f.Client.GetInstanceAsync(id);
        Assert.NotNull(metadata);
        Assert.Null(metadata.SerializedInput);
        Assert.Null(metadata.DataConverter);
        Assert.Throws<InvalidOperationException>(() => metadata.ReadInputAs<int>());
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Instance_ids_are_validated(string store)
    {
        await using var f = await ClientFixture.StartAsync(store);
        foreach (var bad in new[] { "@counter@a", "a/b", "a\\b", "tab\there", new string('x', 257), " " })
        {
            await Assert.ThrowsAsync<ArgumentException>(() => f.Client.ScheduleNewOrchestrationInstanceAsync("Greet", null, new StartOrchestrationOptions(bad)));
        }
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_running_id_conflicts_a_finished_one_is_replaced_unless_deduped(string store)
    {
        await using var f = await ClientFixture.StartAsync(store);
        await f.Client.ScheduleNewOrchestrationInstanceAsync("Greet", 1, new StartOrchestrationOptions("same"));
        await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() => f.Client.ScheduleNewOrchestrationInstanceAsync("Greet", 2, new StartOrchestrationOptions("same")));

        await f.StepAsync("same", OrchestrationRuntimeStatus.Completed, output: "\"done\"");
        await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() => f.Client.ScheduleNewOrchestrationInstanceAsync(
            "Greet", 3, new StartOrchestrationOptions("same") { DedupeStatuses = ["Completed"] }));

        await f.Client.ScheduleNewOrchestrationInstanceAsync("Greet", 4, new StartOrchestrationOptions("same"));
        var again = await f.Client.GetInstanceAsync("same", getInputsAndOutputs: true);
        Assert.Equal(OrchestrationRuntimeStatus.Pending, again!.RuntimeStatus);
        Assert.Equal(4, again.ReadInputAs<int>());
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task StartAt_holds_the_start_back_until_then(string store)
    {
        await using var f = await ClientFixture.StartAsync(store);
        var at = DateTimeOffset.UtcNow.AddSeconds(2);
        var id = await f.Client.ScheduleNewOrchestrationInstanceAsync("Later", null, new StartOrchestrationOptions(StartAt: at));
        Assert.Null(await f.LeaseAsync(TimeSpan.FromMilliseconds(500)));

        var item = await f.LeaseAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(item);
        Assert.Equal(id, item.InstanceId);
        Assert.True(DateTimeOffset.UtcNow >= at.AddMilliseconds(-50));
        var started = Assert.Single(item.Messages).Event.ExecutionStarted;
        Assert.Equal(at.UtcDateTime, started.ScheduledStartTimestamp.ToDateTime(), TimeSpan.FromMilliseconds(1));
        await f.Store.AbandonOrchestrationWorkItemAsync(item);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Events_and_control_messages_reach_the_instance_and_are_refused_when_missing_or_finished(string store)
    {
        await using var f = await ClientFixture.StartAsync(store);
        var id = await f.Client.ScheduleNewOrchestrationInstanceAsync("Approval");
        await f.StepAsync(id, OrchestrationRuntimeStatus.Running);

        await f.Client.RaiseEventAsync(id, "Approved", new { By = "ops" });
        await f.Client.SuspendInstanceAsync(id, "maintenance");
        await f.Client.ResumeInstanceAsync(id, "done");
        await f.Client.TerminateInstanceAsync(id, new TerminateInstanceOptions(Output: "stopped"));
        var item = await f.LeaseAsync();
        Assert.NotNull(item);
        var events = item.Messages.Select(m => m.Event).ToList();
        Assert.Equal(
            [P.HistoryEvent.EventTypeOneofCase.EventRaised, P.HistoryEvent.EventTypeOneofCase.ExecutionSuspended, P.HistoryEvent.EventTypeOneofCase.ExecutionResumed, P.HistoryEvent.EventTypeOneofCase.ExecutionTerminated],
            events.Select(e => e.EventTypeCase));
        Assert.Equal("Approved", events[0].EventRaised.Name);
        Assert.Equal("{\"By\":\"ops\"}", events[0].EventRaised.Input);
        Assert.Equal("maintenance", events[1].ExecutionSuspended.Input);
        Assert.Equal("\"stopped\"", events[3].ExecutionTerminated.Input);
        await f.Store.AbandonOrchestrationWorkItemAsync(item);

        await Assert.ThrowsAsync<OrchestrationNotFoundException>(() => f.Client.RaiseEventAsync("nobody", "Approved"));
        await Assert.ThrowsAsync<OrchestrationNotFoundException>(() => f.Client.TerminateInstanceAsync("nobody"));
        await f.StepAsync(id, OrchestrationRuntimeStatus.Terminated, output: "\"stopped\"");
        await Assert.ThrowsAsync<OrchestrationStateConflictException>(() => f.Client.RaiseEventAsync(id, "Approved"));
        await Assert.ThrowsAsync<OrchestrationStateConflictException>(() => f.Client.SuspendInstanceAsync(id));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Waits_wake_on_the_store_change(string store)
    {
        await using var f = await ClientFixture.StartAsync(store);
        var id = await f.Client.ScheduleNewOrchestrationInstanceAsync("Greet", "Ada");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var started = f.Client.WaitForInstanceStartAsync(id, timeout.Token);
        var completed = f.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        await Task.Delay(100);
        Assert.False(started.IsCompleted);

        await f.StepAsync(id, OrchestrationRuntimeStatus.Running);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await started).RuntimeStatus);
        Assert.False(completed.IsCompleted);

        await f.Client.RaiseEventAsync(id, "Go");
        await f.StepAsync(id, OrchestrationRuntimeStatus.Completed, output: "\"Hello, Ada\"");
        var done = await completed;
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("Hello, Ada", done.ReadOutputAs<string>());

        await Assert.ThrowsAsync<OrchestrationNotFoundException>(() => f.Client.WaitForInstanceCompletionAsync("nobody", timeout.Token));
        using var cancelled = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var other = await f.Client.ScheduleNewOrchestrationInstanceAsync("Greet");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => f.Client.WaitForInstanceCompletionAsync(other, cancelled.Token));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task GetAllInstances_pages_and_filters(string store)
    {
        await using var f = await ClientFixture.StartAsync(store);
        for (var i = 0; i < 7; i++)
        {
            await f.Client.ScheduleNewOrchestrationInstanceAsync("Batch", i, new StartOrchestrationOptions($"batch-{i}"));
        }

        await f.Client.ScheduleNewOrchestrationInstanceAsync("Other", null, new StartOrchestrationOptions("other-1"));
        await f.StepAsync("batch-0", OrchestrationRuntimeStatus.Completed);

        var pages = new List<Microsoft.DurableTask.Page<OrchestrationMetadata>>();
        await foreach (var page in f.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = "batch-", PageSize = 3 }).AsPages())
        {
            pages.Add(page);
        }

        Assert.Equal([3, 3, 1], pages.Select(p => p.Values.Count));
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"batch-{i}").Order(), pages.SelectMany(p => p.Values).Select(m => m.InstanceId).Order());
        Assert.Null(pages[^1].ContinuationToken);

        var completed = await f.Client.GetAllInstancesAsync(new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Completed] }).ToListAsync();
        Assert.Equal("batch-0", Assert.Single(completed).InstanceId);

        var withData = await f.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = "batch-3", FetchInputsAndOutputs = true }).ToListAsync();
        Assert.Equal(3, Assert.Single(withData).ReadInputAs<int>());

        Assert.Empty(await f.Client.GetAllInstancesAsync(new OrchestrationQuery { TaskHubNames = ["SomeOtherHub"] }).ToListAsync());
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Purge_removes_finished_instances_only(string store)
    {
        await using var f = await ClientFixture.StartAsync(store);
        var done = await f.Client.ScheduleNewOrchestrationInstanceAsync("Greet");
        var running = await f.Client.ScheduleNewOrchestrationInstanceAsync("Greet");
        await f.StepAsync(done, OrchestrationRuntimeStatus.Completed);
        await f.StepAsync(running, OrchestrationRuntimeStatus.Running);

        Assert.Equal(0, (await f.Client.PurgeInstanceAsync(running)).PurgedInstanceCount);
        var purged = await f.Client.PurgeInstanceAsync(done);
        Assert.Equal(1, purged.PurgedInstanceCount);
        Assert.True(purged.IsComplete);
        Assert.Null(await f.Client.GetInstanceAsync(done));
        Assert.Empty(await f.Client.GetOrchestrationHistoryAsync(done));

        var more = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            more.Add(await f.Client.ScheduleNewOrchestrationInstanceAsync("Greet"));
            await f.StepAsync(more[^1], i == 2 ? OrchestrationRuntimeStatus.Failed : OrchestrationRuntimeStatus.Completed);
        }

        Assert.Equal(2, (await f.Client.PurgeAllInstancesAsync(new PurgeInstancesFilter(Statuses: [OrchestrationRuntimeStatus.Completed]))).PurgedInstanceCount);
        Assert.Equal(1, (await f.Client.PurgeAllInstancesAsync(new PurgeInstancesFilter(CreatedFrom: DateTimeOffset.UtcNow.AddMinutes(-5)))).PurgedInstanceCount);
        Assert.NotNull(await f.Client.GetInstanceAsync(running));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Restart_starts_again_with_the_original_input(string store)
    {
        await using var f = await ClientFixture.StartAsync(store);
        var id = await f.Client.ScheduleNewOrchestrationInstanceAsync("Greet", "Ada");
        await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() => f.Client.RestartAsync(id));
        await f.StepAsync(id, OrchestrationRuntimeStatus.Failed);

        Assert.Equal(id, await f.Client.RestartAsync(id));
        var same = await f.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        Assert.Equal(OrchestrationRuntimeStatus.Pending, same!.RuntimeStatus);
        Assert.Equal("Ada", same.ReadInputAs<string>());

        var newId = await f.Client.RestartAsync(id, restartWithNewInstanceId: true);
        Assert.NotEqual(id, newId);
        Assert.Equal("Ada", (await f.Client.GetInstanceAsync(newId, getInputsAndOutputs: true))!.ReadInputAs<string>());
        await Assert.ThrowsAsync<OrchestrationNotFoundException>(() => f.Client.RestartAsync("nobody"));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task History_comes_back_as_DTFx_events(string store)
    {
        await using var f = await ClientFixture.StartAsync(store);
        var id = await f.Client.ScheduleNewOrchestrationInstanceAsync("Greet", "Ada");
        var now = DateTime.UtcNow;
        var failure = new P.TaskFailureDetails { ErrorType = "System.InvalidOperationException", ErrorMessage = "boom", InnerFailure = new P.TaskFailureDetails { ErrorType = "System.Exception", ErrorMessage = "inner" } };
        await f.StepAsync(id, OrchestrationRuntimeStatus.Failed, history:
        [
            HistoryEvents.OrchestratorStarted(now),
            new P.HistoryEvent { EventId = 0, Timestamp = HistoryEvents.Time(now), TaskScheduled = new P.TaskScheduledEvent { Name = "SayHello", Input = "\"Ada\"" } },
            new P.HistoryEvent { EventId = 1, Timestamp = HistoryEvents.Time(now), TimerCreated = new P.TimerCreatedEvent { FireAt = HistoryEvents.Time(now.AddMinutes(1)) } },
            HistoryEvents.TaskFailed(0, failure, now),
            HistoryEvents.TimerFired(1, now.AddMinutes(1)),
            HistoryEvents.ExecutionCompleted(P.OrchestrationStatus.Failed, null, failure, now),
        ]);

        var history = await f.Client.GetOrchestrationHistoryAsync(id);
        Assert.Equal(
            [EventType.ExecutionStarted, EventType.OrchestratorStarted, EventType.TaskScheduled, EventType.TimerCreated, EventType.TaskFailed, EventType.TimerFired, EventType.ExecutionCompleted],
            history.Select(e => e.EventType));
        var started = Assert.IsType<ExecutionStartedEvent>(history[0]);
        Assert.Equal("Greet", started.Name);
        Assert.Equal("\"Ada\"", started.Input);
        Assert.Equal(id, started.OrchestrationInstance.InstanceId);
        Assert.Equal("SayHello", Assert.IsType<TaskScheduledEvent>(history[2]).Name);
        var failed = Assert.IsType<TaskFailedEvent>(history[4]);
        Assert.Equal(0, failed.TaskScheduledId);
        Assert.Equal("boom", failed.FailureDetails!.ErrorMessage);
        Assert.Equal("inner", failed.FailureDetails.InnerFailure!.ErrorMessage);
        Assert.Equal(1, Assert.IsType<TimerFiredEvent>(history[5]).TimerId);
        Assert.Equal(global::DurableTask.Core.OrchestrationStatus.Failed, Assert.IsType<ExecutionCompletedEvent>(history[6]).OrchestrationStatus);
        Assert.All(history, e => Assert.Equal(DateTimeKind.Utc, e.Timestamp.Kind));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_signal_is_a_DTFx_request_named_op_to_the_entity(string store)
    {
        await using var f = await ClientFixture.StartAsync(store);
        var entity = new EntityInstanceId("Counter", "a");
        await f.Client.Entities.SignalEntityAsync(entity, "add", 5);

        var item = await f.LeaseAsync();
        Assert.NotNull(item);
        Assert.Equal("@counter@a", item.InstanceId);
        var raised = Assert.Single(item.Messages).Event.EventRaised;
        Assert.Equal("op", raised.Name);
        using var request = JsonDocument.Parse(raised.Input);
        Assert.Equal("add", request.RootElement.GetProperty("op").GetString());
        Assert.True(request.RootElement.GetProperty("signal").GetBoolean());
        Assert.Equal("5", request.RootElement.GetProperty("input").GetString());
        Assert.True(Guid.TryParse(request.RootElement.GetProperty("id").GetString(), out _));
        Assert.False(request.RootElement.TryGetProperty("parent", out _));
        await f.Store.AbandonOrchestrationWorkItemAsync(item);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_scheduled_signal_is_named_op_at_its_time_and_held_back_until_then(string store)
    {
        await using var f = await ClientFixture.StartAsync(store);
        var at = DateTimeOffset.UtcNow.AddSeconds(2);
        await f.Client.Entities.SignalEntityAsync(new EntityInstanceId("Counter", "b"), "reset", new SignalEntityOptions { SignalTime = at }, CancellationToken.None);
        Assert.Null(await f.LeaseAsync(TimeSpan.FromMilliseconds(500)));

        var item = await f.LeaseAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(item);
        var raised = Assert.Single(item.Messages).Event.EventRaised;
        Assert.Equal("op@" + at.UtcDateTime.ToString("o", System.Globalization.CultureInfo.InvariantCulture), raised.Name);
        using var request = JsonDocument.Parse(raised.Input);
        Assert.Equal("reset", request.RootElement.GetProperty("op").GetString());
        Assert.True(request.RootElement.TryGetProperty("due", out _));
        await f.Store.AbandonOrchestrationWorkItemAsync(item);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Entities_are_read_queried_and_cleaned(string store)
    {
        await using var f = await ClientFixture.StartAsync(store);
        foreach (var (key, state) in new[] { ("a", "5"), ("b", "7"), ("c", (string?)null) })
        {
            await f.Client.Entities.SignalEntityAsync(new EntityInstanceId("Counter", key), "set", input: null);
            await f.EntityStepAsync($"@counter@{key}", state);
        }

        await f.Client.Entities.SignalEntityAsync(new EntityInstanceId("Counter", "a"), "add", 1);

        var a = await f.Client.Entities.GetEntityAsync(new EntityInstanceId("Counter", "a"));
        Assert.NotNull(a);
        Assert.Equal(5, a.State!.ReadAs<int>());
        Assert.Equal(1, a.BacklogQueueSize);
        Assert.Null(a.LockedBy);
        var typed = await f.Client.Entities.GetEntityAsync<int>(new EntityInstanceId("Counter", "b"));
        Assert.Equal(7, typed!.State);
        Assert.False((await f.Client.Entities.GetEntityAsync(new EntityInstanceId("Counter", "b"), includeState: false))!.IncludesState);
        Assert.Null(await f.Client.Entities.GetEntityAsync(new EntityInstanceId("Counter", "nope")));

        var all = await f.Client.Entities.GetAllEntitiesAsync(new EntityQuery { InstanceIdStartsWith = "@counter@" }).ToListAsync();
        Assert.Equal(["@counter@a", "@counter@b"], all.Select(e => e.Id.ToString()).Order());
        var transient = await f.Client.Entities.GetAllEntitiesAsync(new EntityQuery { InstanceIdStartsWith = "@counter@", IncludeTransient = true }).ToListAsync();
        Assert.Equal(3, transient.Count);
        Assert.Empty(await f.Client.GetAllInstancesAsync().Where(m => m.InstanceId.StartsWith('@')).ToListAsync());

        // Removing the empty entity needs the store's PurgeInstanceAsync to delete an entity row by id whatever its
        // status (an entity row never has completed_at set).
        var cleaned = await f.Client.Entities.CleanEntityStorageAsync();
        Assert.Equal(1, cleaned.EmptyEntitiesRemoved);
        Assert.Equal(0, cleaned.OrphanedLocksReleased);
        Assert.Null(cleaned.ContinuationToken);
        Assert.Equal(2, (await f.Client.Entities.GetAllEntitiesAsync(new EntityQuery { IncludeTransient = true }).ToListAsync()).Count);
    }

    [Fact]
    public void The_lock_owner_is_read_from_the_scheduler_json_only_when_it_names_one()
    {
        Assert.Equal("orch-1", StoreDurableEntityClient.LockOwner("{\"lockedBy\":\"orch-1\",\"queue\":[]}"));
        Assert.Null(StoreDurableEntityClient.LockOwner(null));
        Assert.Null(StoreDurableEntityClient.LockOwner("{\"queue\":[]}"));
        Assert.Null(StoreDurableEntityClient.LockOwner("not json"));
    }
}

/// <summary>A client on a fresh store (a SQLite file, or a PostgreSQL schema of the test server), and a hand-driven stand-in for the worker.</summary>
internal sealed class ClientFixture : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly string _directory;

    private ClientFixture(ServiceProvider services, string directory)
    {
        _services = services;
        _directory = directory;
    }

    public IServiceProvider Services => _services;

    public DurableTaskClient Client => _services.GetRequiredService<DurableTaskClient>();

    public IOrchestrationStore Store => _services.GetRequiredService<IOrchestrationStore>();

    public static async Task<ClientFixture> StartAsync(string store)
    {
        var directory = Path.Combine(Path.GetTempPath(), "hub-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDurableTaskClient(b =>
        {
            if (store == "sqlite")
            {
                b.UseSqlite(s => s.DatabasePath = Path.Combine(directory, "test.db"));
            }
            else
            {
                var connectionString = Environment.GetEnvironmentVariable("HUB_TEST_POSTGRES") is { Length: > 0 } value
                    ? value
                    : throw new InvalidOperationException("The PostgreSQL tests need a server: HUB_TEST_POSTGRES is not set (scripts/services start; eval \"$(scripts/services env)\").");
                b.UsePostgres(p =>
                {
                    p.ConnectionString = connectionString;
                    p.SchemaName = "t_" + Path.GetFileName(directory);
                    p.MaxPoolSize = 10;
                });
            }
        });
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IOrchestrationStore>().InitializeAsync(CancellationToken.None);
        return new ClientFixture(provider, directory);
    }

    /// <summary>Leases the next visible step, or null when none comes within <paramref name="within"/> (default 5 s).</summary>
    public async Task<OrchestrationWorkItem?> LeaseAsync(TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(5));
        try
        {
            return await Store.LockNextOrchestrationWorkItemAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Plays the worker for one step of <paramref name="instanceId"/>: consumes its messages and sets its status (and output).</summary>
    public async Task StepAsync(string instanceId, OrchestrationRuntimeStatus status, string? output = null, IReadOnlyList<P.HistoryEvent>? history = null)
    {
        var item = await LeaseAsync() ?? throw new InvalidOperationException($"No step for '{instanceId}' became visible.");
        Assert.Equal(instanceId, item.InstanceId);
        var now = DateTime.UtcNow;
        var instance = item.Instance ?? throw new InvalidOperationException($"'{instanceId}' has no row.");
        var finished = status is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;
        var started = item.Messages.Select(m => m.Event).Where(e => e.EventTypeCase == P.HistoryEvent.EventTypeOneofCase.ExecutionStarted).ToList();
        await Store.CompleteOrchestrationWorkItemAsync(item, new OrchestrationCommit
        {
            Instance = instance with
            {
                Status = status,
                Output = output,
                LastUpdatedAt = now,
                CompletedAt = finished ? now : null,
                Failure = status == OrchestrationRuntimeStatus.Failed ? new TaskFailureDetails("System.Exception", "failed by the test", null, null, null) : null,
                HistoryCount = instance.HistoryCount + started.Count + (history?.Count ?? 0),
            },
            NewHistory = [.. started, .. history ?? []],
            ConsumedMessageIds = [.. item.Messages.Select(m => m.Id)],
        });
    }

    /// <summary>Plays the entity protocol for one step of an entity: consumes its messages and stores <paramref name="state"/>.</summary>
    public async Task EntityStepAsync(string instanceId, string? state)
    {
        var item = await LeaseAsync() ?? throw new InvalidOperationException($"No step for '{instanceId}' became visible.");
        Assert.Equal(instanceId, item.InstanceId);
        var now = DateTime.UtcNow;
        await Store.CompleteOrchestrationWorkItemAsync(item, new OrchestrationCommit
        {
            Instance = new InstanceRecord
            {
                InstanceId = instanceId,
                Name = EntityInstanceId.FromString(instanceId).Name,
                ExecutionId = string.Empty,
                IsEntity = true,
                Status = OrchestrationRuntimeStatus.Running,
                EntityState = state,
                CreatedAt = item.Instance?.CreatedAt ?? now,
                LastUpdatedAt = now,
            },
            ConsumedMessageIds = [.. item.Messages.Select(m => m.Id)],
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on a slow machine: the temp directory is cleaned later.
        }
    }
}
