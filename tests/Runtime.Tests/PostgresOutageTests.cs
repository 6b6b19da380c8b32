using System.Diagnostics;
using Npgsql;
using Serverless.DurableTask;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Postgres;
using Serverless.Tests.Shared;

namespace Serverless.Runtime.Tests;

/// <summary>
/// The PostgreSQL database goes away (a forwarder between store and server is cut: no other test's server is
/// touched): every call fails with the store's unavailable error, at once rather than after a lease period; a step
/// that could not be committed is given back without counting its delivery; the store is unready, and ready again
/// when the database returns.
/// </summary>
public sealed class PostgresOutageTests
{
    [Fact]
    public async Task DatabaseCut_CallsFailAsStoreUnavailable_StepReleasedUncounted_ResumesWhenBack()
    {
        // Arrange: a store through the forwarder, with a step leased.
        using var location = new TempDirectory();
        var target = new NpgsqlConnectionStringBuilder(TestStores.PostgresConnectionString);
        await using var cutter = new TcpCutter(target.Host!, target.Port);
        var options = new PostgresStoreOptions
        {
            ConnectionString = new NpgsqlConnectionStringBuilder(TestStores.PostgresConnectionString) { Host = "127.0.0.1", Port = cutter.Port, Timeout = 3 }.ConnectionString,
            SchemaName = TestStores.SchemaFor(location.Path),
            MaxRetryDelay = TimeSpan.FromMilliseconds(500),
        };
        await using var store = new PostgresOrchestrationStore("test", options, TimeSpan.FromSeconds(30));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await store.InitializeAsync(timeout.Token);
        var now = DateTime.UtcNow;
        await store.CreateInstanceAsync(new NewInstance("outage", "Orchestration", null, null, HistoryEvents.ExecutionStarted("Orchestration", "outage", "e1", null, now), now), replaceTerminal: false, timeout.Token);
        var item = await store.LockNextOrchestrationWorkItemAsync(timeout.Token);
        var firstDelivery = Assert.Single(item.Messages).DequeueCount;

        // Act 1: the database goes away while the step runs.
        cutter.Cut();
        var clock = Stopwatch.StartNew();
        var commit = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CompleteOrchestrationWorkItemAsync(item, new OrchestrationCommit { Instance = null, ConsumedMessageIds = [.. item.Messages.Select(m => m.Id)] }));
        var commitFailedAfter = clock.Elapsed;
        var read = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.GetInstanceAsync("outage", timeout.Token));
        var write = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.SendMessageAsync(new OutgoingMessage("outage", HistoryEvents.EventRaised("Ping", null, now), now), timeout.Token));
        await store.AbandonOrchestrationWorkItemAsync(item, storeFault: true);
        var readyWhileCut = await store.IsReadyAsync(timeout.Token);

        // Act 2: it comes back; the step is offered again.
        cutter.Restore();
        while (!await store.IsReadyAsync(timeout.Token))
        {
            await Task.Delay(100, timeout.Token);
        }

        var again = await store.LockNextOrchestrationWorkItemAsync(timeout.Token);

        // Assert
        Assert.True(commitFailedAfter < TimeSpan.FromSeconds(15), $"the commit failed only after {commitFailedAfter}");
        Assert.IsAssignableFrom<NpgsqlException>(commit.InnerException);
        Assert.Contains("unreachable", commit.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", commit.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(StoreFaults.IsUnavailable(read) && StoreFaults.IsUnavailable(write));
        Assert.False(readyWhileCut);
        Assert.Equal(0, firstDelivery);
        Assert.Equal("outage", again.InstanceId);
        Assert.Equal(0, Assert.Single(again.Messages).DequeueCount);
    }
}
