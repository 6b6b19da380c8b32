using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions;
using Serverless.Functions.Timers;
using Serverless.Host.Tests.Infrastructure;
using Serverless.Host.Tests.Sample;

namespace Serverless.Host.Tests;

public sealed class TimerTests
{
    private static readonly DateTime Now = new(2026, 11, 22, 10, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void MissedOccurrence_NextInThePast_IsTheMissedOne()
    {
        var status = new ScheduleStatus { Last = Now.AddHours(-2), Next = Now.AddHours(-1) };

        Assert.Equal(Now.AddHours(-1), TimerScheduler.MissedOccurrence(status, Now));
    }

    [Fact]
    public void MissedOccurrence_NextInTheFutureOrNoStatus_IsNone()
    {
        Assert.Null(TimerScheduler.MissedOccurrence(new ScheduleStatus { Last = Now.AddHours(-1), Next = Now.AddHours(1) }, Now));
        Assert.Null(TimerScheduler.MissedOccurrence(null, Now));
    }

    [Fact]
    public void MissedOccurrence_AlreadyRun_IsNone()
    {
        Assert.Null(TimerScheduler.MissedOccurrence(new ScheduleStatus { Last = Now.AddHours(-1), Next = Now.AddHours(-1) }, Now));
    }

    private static Task<FunctionsTestHost> StartTickerAsync(string schedule, string directory) =>
        FunctionsTestHost.StartAsync([typeof(Ticker)], contentRoot: directory, settings: new Dictionary<string, string?> { ["TickSchedule"] = schedule });

    [Fact]
    public async Task Timer_EverySecond_RunsOnSchedule()
    {
        await using var host = await StartTickerAsync("* * * * * *", FunctionsTestHost.NewDirectory());
        var log = host.Services.GetRequiredService<TickLog>();

        await log.WaitForRunsAsync(2, TimeSpan.FromSeconds(10));

        Assert.All(log.Runs, r => Assert.False(r.IsPastDue));
        Assert.True(log.Runs[1].ScheduleStatus!.Next > log.Runs[0].ScheduleStatus!.Next);
    }

    [Fact]
    public async Task Timer_OccurrenceMissedWhileDown_RunsOnceAtStartupAndNotAgainAfterRestart()
    {
        // A yearly timer whose persisted next occurrence passed while the host was down.
        var directory = FunctionsTestHost.NewDirectory();
        var store = new SqliteTimerScheduleStore(Path.Combine(directory, ".data", "test.db"));
        Directory.CreateDirectory(Path.Combine(directory, ".data"));
        var missed = DateTime.UtcNow.AddMinutes(-10);
        await store.SetAsync("Tick", new ScheduleStatus { Last = missed.AddYears(-1), Next = missed, LastUpdated = missed.AddYears(-1) }, CancellationToken.None);

        await using (var first = await StartTickerAsync("0 0 0 1 1 *", directory))
        {
            var log = first.Services.GetRequiredService<TickLog>();
            await log.WaitForRunsAsync(1, TimeSpan.FromSeconds(10));
            var run = Assert.Single(log.Runs);
            Assert.True(run.IsPastDue);
            Assert.Equal(missed, run.ScheduleStatus!.Next);
            await WaitForStatusAsync(store, s => s.Last == missed);
        }

        var status = await store.GetAsync("Tick", CancellationToken.None);
        Assert.Equal(missed, status!.Last);
        Assert.True(status.Next > DateTime.UtcNow);

        await using (var second = await StartTickerAsync("0 0 0 1 1 *", directory))
        {
            // Give the scheduler the time it took to run the missed occurrence the first time, and more.
            await WaitForStatusAsync(store, s => s.LastUpdated > status.LastUpdated);
            Assert.Empty(second.Services.GetRequiredService<TickLog>().Runs);
        }
    }

    [Fact]
    public async Task Timer_FirstStart_PersistsNextOccurrenceWithoutRunning()
    {
        var directory = FunctionsTestHost.NewDirectory();
        await using var host = await StartTickerAsync("0 0 0 1 1 *", directory);
        var store = host.Services.GetRequiredService<ITimerScheduleStore>();

        var status = await WaitForStatusAsync(store, _ => true);

        Assert.Equal(new DateTime(DateTime.UtcNow.Year + 1, 1, 1, 0, 0, 0, DateTimeKind.Utc), status.Next);
        Assert.Equal(DateTime.MinValue, status.Last);
        Assert.Empty(host.Services.GetRequiredService<TickLog>().Runs);
    }

    private static async Task<ScheduleStatus> WaitForStatusAsync(ITimerScheduleStore store, Func<ScheduleStatus, bool> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            if (await store.GetAsync("Tick", cts.Token) is { } status && condition(status))
            {
                return status;
            }

            await Task.Delay(20, cts.Token);
        }
    }
}
