using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serverless.Functions.Hosting;
using Serverless.Functions.Indexing;
using Serverless.Functions.Invocation;

namespace Serverless.Functions.Timers;

/// <summary>
/// Runs the timer functions. With the monitor on (the default), each timer's last and next occurrence are persisted
/// in <see cref="ITimerScheduleStore"/>: the next occurrence is written before waiting for it and the run is recorded
/// after it, so an occurrence missed while the host was down runs once at start-up (with
/// <see cref="TimerInfo.IsPastDue"/>), and one interrupted by a crash runs again: at least once per occurrence,
/// exactly once when nothing crashes. A run never overlaps the next one of the same timer; occurrences that pass
/// during a long run are skipped. Hosts that share the store (replicas on one PostgreSQL database) claim each
/// occurrence before running it (<see cref="ITimerScheduleStore.TryClaimAsync"/>), so one of them runs it.
/// </summary>
internal sealed class TimerScheduler(
    FunctionCatalog catalog,
    IServiceProvider services,
    FunctionsHostEnvironment environment,
    TimeProvider time,
    ILogger<TimerScheduler> logger) : BackgroundService
{
    private static readonly TimeSpan MaxSleep = TimeSpan.FromHours(1);

    /// <summary>How long a claimed occurrence that was never recorded as run stays with the host that claimed it.</summary>
    private readonly TimeSpan _claimStaleAfter = (environment.FunctionTimeout ?? TimeSpan.FromHours(1)) + TimeSpan.FromMinutes(1);
    private readonly ITimerScheduleStore? _store = services.GetService<ITimerScheduleStore>();

    /// <summary>Decides, at start-up, which occurrence was missed while the host was down; null when none.</summary>
    internal static DateTime? MissedOccurrence(ScheduleStatus? status, DateTime nowUtc) =>
        status is not null && status.Next <= nowUtc && status.Next > status.Last ? status.Next : null;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(catalog.Of(FunctionTriggerType.Timer).Select(f => Task.Run(() => RunTimerAsync(f, stoppingToken), CancellationToken.None)));

    private DateTime Now() => time.GetUtcNow().UtcDateTime;

    private async Task RunTimerAsync(FunctionDescriptor function, CancellationToken stoppingToken)
    {
        var schedule = function.Schedule!;
        var monitor = function.Timer!.UseMonitor && _store is not null;
        try
        {
            var status = monitor ? await ReadStatusAsync(function, stoppingToken) : null;
            var now = Now();
            if (MissedOccurrence(status, now) is { } missed)
            {
                if (await ClaimAsync(function, missed, stoppingToken))
                {
                    logger.TimerPastDue(function.Name, missed);
                    await InvokeAsync(function, new TimerInfo { ScheduleStatus = status, IsPastDue = true }, missed, stoppingToken);
                }

                now = Now();
                status = new ScheduleStatus { Last = missed, Next = NextAfter(schedule, now), LastUpdated = now };
            }
            else
            {
                status = new ScheduleStatus { Last = status?.Last ?? DateTime.MinValue, Next = NextAfter(schedule, now), LastUpdated = now };
                if (function.Timer.RunOnStartup)
                {
                    await InvokeAsync(function, new TimerInfo { ScheduleStatus = monitor ? status : null }, now, stoppingToken);
                    status = new ScheduleStatus { Last = status.Last, Next = NextAfter(schedule, Now()), LastUpdated = Now() };
                }
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                if (monitor)
                {
                    await WriteStatusAsync(function, status, stoppingToken);
                }

                logger.TimerScheduled(function.Name, status.Next);
                await SleepUntilAsync(status.Next, stoppingToken);
                var occurrence = status.Next;
                if (!monitor || await ClaimAsync(function, occurrence, stoppingToken))
                {
                    await InvokeAsync(function, new TimerInfo { ScheduleStatus = monitor ? status : null }, occurrence, stoppingToken);
                }

                now = Now();
                status = new ScheduleStatus { Last = occurrence, Next = NextAfter(schedule, now > occurrence ? now : occurrence), LastUpdated = now };
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping; the persisted status lets the next start pick up where this one left off.
        }
    }

    private static DateTime NextAfter(CronSchedule schedule, DateTime after) =>
        schedule.GetNextOccurrence(after) ?? DateTime.MaxValue;

    private async Task SleepUntilAsync(DateTime dueUtc, CancellationToken stoppingToken)
    {
        while (true)
        {
            var remaining = dueUtc - Now();
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            await Task.Delay(remaining < MaxSleep ? remaining + TimeSpan.FromMilliseconds(1) : MaxSleep, time, stoppingToken);
        }
    }

    private async Task InvokeAsync(FunctionDescriptor function, TimerInfo info, DateTime occurrence, CancellationToken stoppingToken)
    {
        await using var scope = services.CreateAsyncScope();
        var executor = scope.ServiceProvider.GetRequiredService<FunctionExecutor>();
        using var cancellation = executor.CreateCancellation(stoppingToken);
        var invocationId = Guid.NewGuid().ToString("N");
        var context = new HostFunctionContext(function.Definition, invocationId, scope.ServiceProvider, cancellation.Token);
        try
        {
            var instance = function.CreateInstance(scope.ServiceProvider);
            var args = InvocationArguments.Bind(function, context, info);
            await executor.ExecuteAsync(function, instance, args, invocationId, info.IsPastDue ? "Timer fired late (past due)" : "Timer fired", cancellation);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // The failure is logged (here and by the executor); a failed occurrence counts as run, as in Azure Functions.
            logger.TimerOccurrenceFailed(function.Name, occurrence, ex);
        }
    }

    /// <summary>
    /// Claims an occurrence in the shared store. When the store cannot answer, the occurrence is not run here (fail
    /// closed): every replica would otherwise run it, and one that the store did record as claimed may be running
    /// elsewhere already. The miss is logged; the next occurrence is claimed as usual.
    /// </summary>
    private async Task<bool> ClaimAsync(FunctionDescriptor function, DateTime occurrence, CancellationToken stoppingToken)
    {
        try
        {
            if (await _store!.TryClaimAsync(function.Name, occurrence, Now(), _claimStaleAfter, stoppingToken))
            {
                return true;
            }

            logger.TimerOccurrenceClaimedElsewhere(function.Name, occurrence);
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            logger.TimerClaimFailed(function.Name, occurrence, ex.Message);
            return false;
        }
    }

    private async Task<ScheduleStatus?> ReadStatusAsync(FunctionDescriptor function, CancellationToken stoppingToken)
    {
        try
        {
            return await _store!.GetAsync(function.Name, stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.TimerStatusFailed(function.Name, ex);
            return null;
        }
    }

    private async Task WriteStatusAsync(FunctionDescriptor function, ScheduleStatus status, CancellationToken stoppingToken)
    {
        try
        {
            await _store!.SetAsync(function.Name, status, stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.TimerStatusFailed(function.Name, ex);
        }
    }
}
