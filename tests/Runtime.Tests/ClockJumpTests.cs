using System.Collections.Concurrent;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Serverless.Runtime.Tests;

/// <summary>
/// The wall clock jumps (NTP correcting a drifted clock, a VM resumed after hours) while durable timers wait and
/// activities run. A timer fires when the clock says its due time has come — never before, and exactly once however
/// the clock moves afterwards; a running activity keeps its lease (leases run on the monotonic clock) and runs once.
/// </summary>
public sealed class ClockJumpTests
{
    private const int Instances = 8;
    private static readonly TimeSpan Alarm = TimeSpan.FromMinutes(30);

    [Fact]
    public async Task ClockJumpsForwardAndBack_TimersFireOnceWhenDue_RunningActivityIsNotRepeated()
    {
        var clock = new JumpingClock();
        var rings = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var slowRuns = new CallCounter();
        var slowGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var hub = await SqliteFaultHub.StartAsync(
            r => r
                .AddActivityFunc<string, string>("Ring", (_, id) =>
                {
                    rings.AddOrUpdate(id, 1, (_, n) => n + 1);
                    return id;
                })
                .AddActivityFunc<string, string>("Slow", async (_, id) =>
                {
                    slowRuns.Increment();
                    await slowGate.Task;
                    return id;
                })
                .AddOrchestratorFunc<string, DateTime>("Alarm", async (ctx, _) =>
                {
                    var due = ctx.CurrentUtcDateTime + Alarm;
                    await ctx.CreateTimer(due, CancellationToken.None);
                    await ctx.CallActivityAsync<string>("Ring", ctx.InstanceId);
                    return ctx.CurrentUtcDateTime;
                })
                .AddOrchestratorFunc<string, string>("Busy", (ctx, _) => ctx.CallActivityAsync<string>("Slow", ctx.InstanceId)),
            o =>
            {
                o.TimeProvider = clock;
                // Short next to the 2-hour jump (a lease on the wall clock would expire at the next sweep, every 1.5 s),
                // long enough that a loaded machine still renews it in time (every 2 s).
                o.LeaseDuration = TimeSpan.FromSeconds(6);
            });

        // Forward: timers due in 30 minutes fire as soon as the clock passes their due time, once each.
        var forward = await StartAlarmsAsync(hub, "forward");
        await Task.Delay(300);
        Assert.Empty(rings);
        var busy = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Busy");
        await SqliteFaultHub.WaitUntilAsync(() => slowRuns.Value == 1, "the slow activity to start");
        clock.Jump(TimeSpan.FromHours(2));
        await AssertFiredOnceAsync(hub, forward, rings, clock);

        // The slow activity ran across the jump, which a lease on the wall clock would not outlast, and past two lease
        // sweeps: not repeated.
        await Task.Delay(TimeSpan.FromSeconds(3));
        slowGate.SetResult();
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await hub.WaitForCompletionAsync(busy)).RuntimeStatus);
        Assert.Equal(1, slowRuns.Value);

        // Back: timers set before the jump back are due later by the jump; they wait for the clock, then fire once.
        var back = await StartAlarmsAsync(hub, "back");
        clock.Jump(-TimeSpan.FromHours(1));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.DoesNotContain(back, rings.ContainsKey);
        clock.Jump(TimeSpan.FromHours(1) + Alarm);
        await AssertFiredOnceAsync(hub, back, rings, clock);

        // Moving the clock again repeats nothing that already fired.
        clock.Jump(-TimeSpan.FromHours(3));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        clock.Jump(TimeSpan.FromHours(5));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(2 * Instances, rings.Count);
        Assert.All(rings, r => Assert.True(r.Value == 1, $"{r.Key} rang {r.Value} times"));
        foreach (var id in forward.Concat(back))
        {
            var history = await hub.Client.GetOrchestrationHistoryAsync(id);
            Assert.Single(history, e => e.EventType == EventType.TimerFired);
        }
    }

    private static async Task<List<string>> StartAlarmsAsync(SqliteFaultHub hub, string prefix)
    {
        var ids = new List<string>();
        for (var i = 0; i < Instances; i++)
        {
            ids.Add(await hub.Client.ScheduleNewOrchestrationInstanceAsync("Alarm", input: null, new StartOrchestrationOptions($"{prefix}-{i}")));
        }

        foreach (var id in ids)
        {
            await hub.WaitForHistoryAsync(id, h => h.Any(e => e.EventType == EventType.TimerCreated));
        }

        return ids;
    }

    private static async Task AssertFiredOnceAsync(SqliteFaultHub hub, List<string> ids, ConcurrentDictionary<string, int> rings, JumpingClock clock)
    {
        foreach (var id in ids)
        {
            var done = await hub.WaitForCompletionAsync(id, TimeSpan.FromSeconds(20));
            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            Assert.True(done.ReadOutputAs<DateTime>() <= clock.GetUtcNow().UtcDateTime, "resumed after the current time");
            Assert.Equal(1, rings[id]);
        }
    }
}
