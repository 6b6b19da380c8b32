using System.Collections.Concurrent;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Serverless.Runtime.Tests;

/// <summary>
/// Hosts on one PostgreSQL schema whose clocks disagree by minutes. Leases and due times are the database's clock,
/// so a host whose clock runs ahead does not take a lease that is still live nor fire a timer early, and a host
/// whose clock runs behind does not hold leases that the others already see expired.
/// </summary>
public sealed class PostgresClockTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(10, false)]
    [InlineData(-10, true)]
    public async Task SkewedHostClock_LiveActivityLeaseIsNotTakenByTheOtherHost_ActivityRunsOnce(int skewMinutes, bool holderSkewed)
    {
        // Arrange: the holder runs a slow activity in its only slot; then the other host starts, one of the two with
        // its clock off by ten minutes (on host clocks, the lease looks expired to the other host at once).
        var skewed = new JumpingClock();
        skewed.Jump(TimeSpan.FromMinutes(skewMinutes));
        var slowRuns = new ConcurrentBag<string>();
        var quickRuns = new ConcurrentBag<string>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Tasks(Microsoft.DurableTask.DurableTaskRegistry r, string host) => r
            .AddActivityFunc<string, string>("Slow", async (_, x) =>
            {
                slowRuns.Add(host);
                await gate.Task;
                return x;
            })
            .AddActivityFunc<string, string>("Quick", (_, x) =>
            {
                quickRuns.Add(host);
                return x;
            })
            .AddOrchestratorFunc<string, string>("Busy", (ctx, x) => ctx.CallActivityAsync<string>("Slow", x))
            .AddOrchestratorFunc<string, string>("Probe", (ctx, x) => ctx.CallActivityAsync<string>("Quick", x));
        using var location = new TempDirectory();
        await using var holder = await TestHub.StartAsync(StoreKind.Postgres, r => Tasks(r, "holder"), o =>
        {
            o.MaxConcurrentActivityFunctions = 1;
            o.LeaseDuration = Lease;
            o.TimeProvider = holderSkewed ? skewed : TimeProvider.System;
        }, location.Path);
        var busy = await holder.Client.ScheduleNewOrchestrationInstanceAsync("Busy", "slow");
        await SqliteFaultHub.WaitUntilAsync(() => !slowRuns.IsEmpty, "the slow activity to start on the holder");

        // Act: the other host starts and runs a probe. Its one activity must run there (the holder's only slot is
        // busy), and every dequeue that found it would have found the older slow activity first had its lease looked
        // expired: once the probe is done, the other host has had its chance to take the lease.
        await using var other = await TestHub.StartAsync(StoreKind.Postgres, r => Tasks(r, "other"), o =>
        {
            o.MaxConcurrentActivityFunctions = 2;
            o.LeaseDuration = Lease;
            o.TimeProvider = holderSkewed ? TimeProvider.System : skewed;
        }, location.Path);
        var probe = await other.Client.ScheduleNewOrchestrationInstanceAsync("Probe", "quick");
        var probed = await other.WaitForCompletionAsync(probe, TimeSpan.FromSeconds(20));
        var slowRunsWhileHeld = slowRuns.ToArray();
        gate.SetResult();
        var done = await holder.WaitForCompletionAsync(busy, TimeSpan.FromSeconds(20));

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, probed.RuntimeStatus);
        Assert.Equal(["other"], quickRuns.ToArray());
        Assert.Equal(["holder"], slowRunsWhileHeld);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("slow", done.ReadOutputAs<string>());
        Assert.Equal(["holder"], slowRuns.ToArray());
    }

    [Fact]
    public async Task HostClockAhead_DurableTimerCreatedElsewhere_FiresWhenTheDatabaseSaysItIsDue()
    {
        // Arrange: a host with a true clock creates a timer due in 3 s and one due in 5 minutes, and stops; a host whose
        // clock runs ten minutes ahead (past both due times) takes over.
        var stamps = new ConcurrentDictionary<string, DateTime>();
        void Tasks(Microsoft.DurableTask.DurableTaskRegistry r) => r
            .AddActivityFunc<string, DateTime>("Stamp", (_, id) => stamps[id] = DateTime.UtcNow)
            .AddOrchestratorFunc<int, DateTime>("Alarm", async (ctx, seconds) =>
            {
                await ctx.CreateTimer(TimeSpan.FromSeconds(seconds), CancellationToken.None);
                return await ctx.CallActivityAsync<DateTime>("Stamp", ctx.InstanceId);
            });
        using var location = new TempDirectory();
        string soon, late;
        DateTime soonFireAt;
        await using (var truthful = await TestHub.StartAsync(StoreKind.Postgres, Tasks, directory: location.Path))
        {
            late = await truthful.Client.ScheduleNewOrchestrationInstanceAsync("Alarm", 300);
            soon = await truthful.Client.ScheduleNewOrchestrationInstanceAsync("Alarm", 3);
            await truthful.WaitForHistoryAsync(late, h => h.Any(e => e.EventType == EventType.TimerCreated));
            var history = await truthful.WaitForHistoryAsync(soon, h => h.Any(e => e.EventType == EventType.TimerCreated));
            soonFireAt = history.OfType<TimerCreatedEvent>().Single().FireAt;
        }

        var ahead = new JumpingClock();
        ahead.Jump(TimeSpan.FromMinutes(10));

        // Act
        await using var skewed = await TestHub.StartAsync(StoreKind.Postgres, Tasks, o => o.TimeProvider = ahead, location.Path);
        var fired = await skewed.WaitForCompletionAsync(soon, TimeSpan.FromSeconds(30));
        var lateHistory = await skewed.GetHistoryAsync(late);

        // Assert: the short timer fired, not before its due time by the (shared) real clock; the 5-minute one waits.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, fired.RuntimeStatus);
        Assert.True(stamps[soon] >= soonFireAt, $"the timer due at {soonFireAt:O} fired at {stamps[soon]:O}");
        Assert.DoesNotContain(lateHistory, e => e.EventType == EventType.TimerFired);
        Assert.False(stamps.ContainsKey(late), "the 5-minute timer fired within seconds");
    }
}
