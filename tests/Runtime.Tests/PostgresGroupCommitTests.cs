using Microsoft.DurableTask.Client;
using Npgsql;
using Serverless.DurableTask;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Postgres;

namespace Serverless.Runtime.Tests;

/// <summary>
/// Group commit of the PostgreSQL store's client writes: starts, raised events and signals made at the same time share
/// one transaction, each keeps its own outcome, a failing write fails alone, and events to one instance keep their order.
/// The tests hold the queue row of a first write's instance in another session, so that write's group waits in the
/// database while the writes under test queue up behind it and form the next group.
/// </summary>
public sealed class PostgresGroupCommitTests
{
    private static readonly DateTime Now = DateTime.UtcNow;

    [Fact]
    public async Task WritesMadeTogether_OneTransactionForAll_EventsToOneInstanceInTheOrderSent()
    {
        // Arrange
        using var location = new TempDirectory();
        await using var store = await OpenAsync(location.Path);
        await using var gate = await GateAsync(store, location.Path);

        // Act: three starts and five events to one instance, queued while the first group waits.
        var writes = new List<Task>
        {
            store.CreateInstanceAsync(Start("s1"), replaceTerminal: true, CancellationToken.None),
            store.CreateInstanceAsync(Start("s2"), replaceTerminal: true, CancellationToken.None),
        };
        writes.AddRange(Enumerable.Range(1, 5).Select(i => store.SendMessageAsync(Event("s1", $"e{i}"), CancellationToken.None)));
        writes.Add(store.CreateInstanceAsync(Start("s3"), replaceTerminal: true, CancellationToken.None));
        await gate.OpenAsync();
        await Task.WhenAll(writes);

        // Assert: every row written by one transaction, and the events in the order sent.
        var transactions = await TestStores.QueryAsync(StoreKind.Postgres, location.Path, "SELECT count(DISTINCT xmin::text) FROM (SELECT xmin FROM messages WHERE instance_id LIKE 's%' UNION ALL SELECT xmin FROM instances WHERE instance_id LIKE 's%') t");
        Assert.Equal(1L, transactions[0][0]);
        Assert.Equal(["e1", "e2", "e3", "e4", "e5"], await EventNamesAsync(location.Path, "s1"));
        foreach (var id in new[] { "s1", "s2", "s3" })
        {
            Assert.Equal(OrchestrationRuntimeStatus.Pending, (await store.GetInstanceAsync(id, CancellationToken.None))?.Status);
        }
    }

    [Fact]
    public async Task GroupWithAConflictAndABadWrite_EachCallerGetsItsOwnOutcome_TheOthersCommit()
    {
        // Arrange: "dup" runs already; an id with a NUL character is refused by PostgreSQL's text type.
        using var location = new TempDirectory();
        await using var store = await OpenAsync(location.Path);
        await store.CreateInstanceAsync(Start("dup"), replaceTerminal: true, CancellationToken.None);
        await using var gate = await GateAsync(store, location.Path);

        // Act
        var first = store.CreateInstanceAsync(Start("g1"), replaceTerminal: true, CancellationToken.None);
        var conflict = store.CreateInstanceAsync(Start("dup"), replaceTerminal: true, CancellationToken.None);
        var again = store.CreateInstanceAsync(Start("g1"), replaceTerminal: true, CancellationToken.None);
        var bad = store.SendMessageAsync(Event("bad\0id", "x"), CancellationToken.None);
        var signal = store.SendMessageAsync(Event("g1", "after"), CancellationToken.None);
        var last = store.CreateInstanceAsync(Start("g2"), replaceTerminal: true, CancellationToken.None);
        await gate.OpenAsync();

        // Assert: the conflicts and the bad write fail on their own; everything else is stored.
        await first;
        await signal;
        await last;
        var running = await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() => conflict);
        Assert.Contains("dup", running.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() => again);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => bad);
        Assert.Equal(PostgresErrorCodes.CharacterNotInRepertoire, refused.SqlState);
        Assert.Equal(OrchestrationRuntimeStatus.Pending, (await store.GetInstanceAsync("g1", CancellationToken.None))?.Status);
        Assert.Equal(OrchestrationRuntimeStatus.Pending, (await store.GetInstanceAsync("g2", CancellationToken.None))?.Status);
        Assert.Equal(["after"], await EventNamesAsync(location.Path, "g1"));
        Assert.Empty(await TestStores.QueryAsync(StoreKind.Postgres, location.Path, "SELECT 1 FROM messages WHERE instance_id LIKE 'bad%'"));
    }

    [Fact]
    public async Task CallerGivesUpWhileQueued_WriteIsDropped_OthersCommit()
    {
        // Arrange
        using var location = new TempDirectory();
        await using var store = await OpenAsync(location.Path);
        await using var gate = await GateAsync(store, location.Path);
        using var giveUp = new CancellationTokenSource();

        // Act
        var dropped = store.CreateInstanceAsync(Start("c1"), replaceTerminal: true, giveUp.Token);
        var kept = store.CreateInstanceAsync(Start("c2"), replaceTerminal: true, CancellationToken.None);
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dropped);
        await gate.OpenAsync();
        await kept;

        // Assert
        Assert.Null(await store.GetInstanceAsync("c1", CancellationToken.None));
        Assert.NotNull(await store.GetInstanceAsync("c2", CancellationToken.None));
    }

    [Fact]
    public async Task StaleStepWritingHistory_AfterAnotherRunCommitted_LeaseLostAndNothingOfItKept()
    {
        // Arrange: the test leases the first step and holds it past its lease; the worker then runs the instance to the end.
        await using var hub = TestHub.Create(StoreKind.Postgres, r => r.AddOrchestratorFunc<string>("Simple", _ => Task.FromResult("ran")), o => o.LeaseDuration = TimeSpan.FromSeconds(1));
        using var cts = new CancellationTokenSource(TestHub.DefaultTimeout);
        await hub.Store.InitializeAsync(cts.Token);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Simple");
        var stolen = await hub.Store.LockNextOrchestrationWorkItemAsync(cts.Token);
        await hub.RunAsync();
        await hub.WaitForCompletionAsync(id);
        var done = (await hub.Store.GetInstanceAsync(id, cts.Token))!;

        // Act: the stale step commits in one statement batch: history at a position the real run wrote (a key
        // conflict in a command after the row locks), an instance row and a message to another instance.
        var stale = new OrchestrationCommit
        {
            Instance = done with { Status = OrchestrationRuntimeStatus.Failed, HistoryCount = 1 },
            NewHistory = [HistoryEvents.EventRaised("stale", null, Now)],
            Messages = [Event("elsewhere", "stale")],
            ConsumedMessageIds = stolen.Messages.Select(m => m.Id).ToList(),
        };
        await Assert.ThrowsAsync<LeaseLostException>(() => hub.Store.CompleteOrchestrationWorkItemAsync(stolen, stale));

        // Assert
        var after = await hub.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, after!.RuntimeStatus);
        Assert.Equal("ran", after.ReadOutputAs<string>());
        Assert.Null(await hub.Store.GetInstanceAsync("elsewhere", cts.Token));
        Assert.Empty(await TestStores.QueryAsync(StoreKind.Postgres, hub.Directory, "SELECT 1 FROM messages WHERE instance_id = 'elsewhere'"));
    }

    private static NewInstance Start(string id) =>
        new(id, "Work", null, null, HistoryEvents.ExecutionStarted("Work", id, "x-" + id, null, Now), Now);

    private static OutgoingMessage Event(string id, string name) => new(id, HistoryEvents.EventRaised(name, null, Now), Now);

    private static async Task<PostgresOrchestrationStore> OpenAsync(string location)
    {
        var store = (PostgresOrchestrationStore)TestStores.Open(StoreKind.Postgres, location, TimeSpan.FromSeconds(30));
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    /// <summary>The names of the events queued for an instance, in queue order (its start message left out).</summary>
    private static async Task<List<string>> EventNamesAsync(string location, string instanceId)
    {
        var rows = await TestStores.QueryAsync(StoreKind.Postgres, location, $"SELECT event FROM messages WHERE instance_id = '{instanceId}' ORDER BY id");
        return rows.Select(r => HistoryEvents.Decode((byte[])r[0]!).EventRaised).Where(e => e is not null).Select(e => e.Name).ToList();
    }

    /// <summary>Holds the queue row of instance "gate" in another session and sends it a message, whose group then waits for the row.</summary>
    private static async Task<Gate> GateAsync(PostgresOrchestrationStore store, string location)
    {
        await store.SendMessageAsync(Event("gate", "first"), CancellationToken.None);
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestStores.PostgresConnectionString) { SearchPath = TestStores.SchemaFor(location), Pooling = false }.ToString());
        await connection.OpenAsync();
        var tx = await connection.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT 1 FROM instance_queue WHERE instance_id = 'gate' FOR UPDATE", connection, tx))
        {
            await hold.ExecuteNonQueryAsync();
        }

        var pid = connection.ProcessID;
        var waiting = store.SendMessageAsync(Event("gate", "second"), CancellationToken.None);
        await SqliteFaultHub.WaitUntilAsync(
            async () =>
            {
                await using var probe = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestStores.PostgresConnectionString) { Pooling = false }.ToString());
                await probe.OpenAsync();
                await using var blocked = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", probe) { Parameters = { new() { Value = pid } } };
                return (long)(await blocked.ExecuteScalarAsync())! > 0;
            },
            "the first group to wait for the held row");
        return new Gate(connection, tx, waiting);
    }

    private sealed class Gate(NpgsqlConnection connection, NpgsqlTransaction tx, Task waiting) : IAsyncDisposable
    {
        public async Task OpenAsync()
        {
            await tx.RollbackAsync();
            await waiting;
        }

        public async ValueTask DisposeAsync()
        {
            await tx.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
