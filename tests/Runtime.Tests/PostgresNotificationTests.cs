using Microsoft.DurableTask.Client;
using Serverless.DurableTask;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Postgres;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.Runtime.Tests;

/// <summary>
/// The PostgreSQL store's wake-ups: a host ignores the work flags of the notifications it sent itself (its commits
/// wake its own loops directly), and still wakes for the work another host commits. The stores here poll only every
/// few minutes, so work found within seconds was found by a wake-up, not by the safety poll.
/// </summary>
public sealed class PostgresNotificationTests
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(20);
    private static readonly DateTime Now = DateTime.UtcNow;

    [Fact]
    public void Parse_OwnNotification_WakesOnlyTheWatchers_OtherHostsAndEarlierBuildsWakeTheLoops()
    {
        // Act
        var own = PostgresOrchestrationStore.Notification.Parse("oa#42|x\u001fy", 42);
        var other = PostgresOrchestrationStore.Notification.Parse("oa#42|x\u001fy", 7);
        var earlierBuild = PostgresOrchestrationStore.Notification.Parse("o|x", 42);
        var ownEveryInstance = PostgresOrchestrationStore.Notification.Parse("a*o#42", 42);
        var otherActivities = PostgresOrchestrationStore.Notification.Parse("a#7", 42);

        // Assert
        Assert.Equal((false, false, false, "x,y"), Wakes(own));
        Assert.Equal((true, true, false, "x,y"), Wakes(other));
        Assert.Equal((true, false, false, "x"), Wakes(earlierBuild));
        Assert.Equal((false, false, true, string.Empty), Wakes(ownEveryInstance));
        Assert.Equal((false, true, false, string.Empty), Wakes(otherActivities));
    }

    [Fact]
    public async Task TwoHosts_WorkStartedThroughOne_TheOtherWaitingIdleGetsItPromptly()
    {
        // Arrange: host B waits for work and has looked once (nothing there); host A has no worker loop at all.
        using var location = new TempDirectory();
        await using var a = await OpenAsync(location.Path);
        await using var b = await OpenAsync(location.Path);
        using var timeout = new CancellationTokenSource(Prompt);
        var take = b.LockNextOrchestrationWorkItemAsync(timeout.Token);
        await WaitForQueriesAsync(b, 1);

        // Act
        await a.CreateInstanceAsync(Start("from-a"), replaceTerminal: true, CancellationToken.None);

        // Assert: only A's notification can have woken B in time.
        var item = await take;
        Assert.Equal("from-a", item.InstanceId);
        Assert.NotEqual(a.OwnerId, b.OwnerId);
    }

    [Fact]
    public async Task OneHost_EventArrivesWhileAStepRuns_TheHostTakesItPromptlyAfterTheStepCommits()
    {
        // Arrange: the step of "busy" is leased; an event reaches it meanwhile; the host's loop waits again and has
        // looked once (the instance was leased, so nothing to take).
        using var location = new TempDirectory();
        await using var store = await OpenAsync(location.Path);
        using var timeout = new CancellationTokenSource(Prompt);
        await store.CreateInstanceAsync(Start("busy"), replaceTerminal: true, CancellationToken.None);
        var step = await store.LockNextOrchestrationWorkItemAsync(timeout.Token);
        await store.SendMessageAsync(new OutgoingMessage("busy", HistoryEvents.EventRaised("meanwhile", null, Now), Now), CancellationToken.None);
        var queries = store.OrchestrationLeaseQueries;
        var next = store.LockNextOrchestrationWorkItemAsync(timeout.Token);
        await WaitForQueriesAsync(store, queries + 1);
        Assert.False(next.IsCompleted);

        // Act: the step commits; the notification it sends is this host's own, which it ignores.
        var started = step.Messages.Select(m => m.Event).Where(e => e.EventTypeCase == P.HistoryEvent.EventTypeOneofCase.ExecutionStarted).ToList();
        await store.CompleteOrchestrationWorkItemAsync(step, new OrchestrationCommit
        {
            Instance = step.Instance! with { Status = OrchestrationRuntimeStatus.Running, HistoryCount = step.Instance!.HistoryCount + started.Count },
            NewHistory = started,
            ConsumedMessageIds = [.. step.Messages.Select(m => m.Id)],
        });

        // Assert
        var item = await next;
        Assert.Equal("busy", item.InstanceId);
        Assert.Equal(P.HistoryEvent.EventTypeOneofCase.EventRaised, Assert.Single(item.Messages).Event.EventTypeCase);
    }

    [Fact]
    public async Task OneHost_ALoopComingBackForWork_QueriesOnlyWhenWorkMayHaveCome()
    {
        // Arrange: the host's loop has looked once (an empty queue) and gave up its wait.
        using var location = new TempDirectory();
        await using var store = await OpenAsync(location.Path);
        using (var first = new CancellationTokenSource())
        {
            var looked = store.LockNextOrchestrationWorkItemAsync(first.Token);
            await WaitForQueriesAsync(store, 1);
            await first.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => looked);
        }

        // Act 1: a loop comes back for work; nothing was committed since the empty answer.
        using var timeout = new CancellationTokenSource(Prompt);
        var next = store.LockNextOrchestrationWorkItemAsync(timeout.Token);
        await Task.Delay(300);
        var queriesWhileNothingCame = store.OrchestrationLeaseQueries;

        // Act 2: work comes.
        await store.CreateInstanceAsync(Start("later"), replaceTerminal: true, CancellationToken.None);
        var item = await next;

        // Assert: the returning loop cost no query; the new work was leased.
        Assert.Equal(1, queriesWhileNothingCame);
        Assert.Equal("later", item.InstanceId);
    }

    private static (bool Orchestrations, bool Activities, bool AllInstances, string Instances) Wakes(PostgresOrchestrationStore.Notification n) =>
        (n.Orchestrations, n.Activities, n.AllInstances, string.Join(',', n.Instances));

    private static NewInstance Start(string id) =>
        new(id, "Work", null, null, HistoryEvents.ExecutionStarted("Work", id, "x-" + id, null, Now), Now);

    /// <summary>A store that polls only every 10 minutes (a quarter of that at first) and leases for 10 minutes.</summary>
    private static async Task<PostgresOrchestrationStore> OpenAsync(string location)
    {
        var options = new PostgresStoreOptions
        {
            ConnectionString = TestStores.PostgresConnectionString,
            SchemaName = TestStores.SchemaFor(location),
            MaxPoolSize = 10,
            MaxPollInterval = TimeSpan.FromMinutes(10),
        };
        var store = new PostgresOrchestrationStore("test", options, TimeSpan.FromMinutes(10));
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    private static async Task WaitForQueriesAsync(PostgresOrchestrationStore store, long count)
    {
        using var timeout = new CancellationTokenSource(Prompt);
        while (store.OrchestrationLeaseQueries < count)
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
