using System.Diagnostics.Metrics;

namespace Serverless.DurableTask.Client;

/// <summary>
/// The store's queue depths as observable gauges of the <see cref="DurableTaskTelemetry.Name"/> meter, read when metrics
/// are collected (a scrape) from the same cheap statistics query the health page uses, at most once a second.
/// </summary>
public sealed class DurableStoreMetrics : IDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);
    private readonly Meter _meter;
    private readonly DurableStoreDiagnostics _diagnostics;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private StoreHealth? _last;
    private long _readAt;

    /// <summary>Initializes a new instance of the <see cref="DurableStoreMetrics"/> class and creates its gauges.</summary>
    public DurableStoreMetrics(IMeterFactory meters, DurableStoreDiagnostics diagnostics, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _diagnostics = diagnostics;
        _time = time ?? TimeProvider.System;
        _meter = meters.Create(DurableTaskTelemetry.Name);
        _meter.CreateObservableGauge("durabletask.work_items.waiting", () => Read() is { } h
            ? [new(Math.Max(0, h.PendingMessages - h.TimersPending), new KeyValuePair<string, object?>("durabletask.work_item.kind", "message")),
               new(h.PendingActivities, new KeyValuePair<string, object?>("durabletask.work_item.kind", "activity"))]
            : Array.Empty<Measurement<int>>(), "{work_item}", "Work waiting to run or running: due messages for orchestrations and entities, and activities.");
        _meter.CreateObservableGauge("durabletask.work_items.oldest_age", () => Read() is { } h
            ? [new Measurement<double>(h.OldestWaitingSince is { } since ? Math.Max(0, (_time.GetUtcNow() - since).TotalSeconds) : 0)]
            : Array.Empty<Measurement<double>>(), "s", "How long the longest-waiting due work item has waited (0 when nothing waits).");
        _meter.CreateObservableGauge("durabletask.timers.pending", () => Read() is { } h ? [new Measurement<int>(h.TimersPending)] : Array.Empty<Measurement<int>>(),
            "{timer}", "Durable timers (and scheduled entity signals) not due yet.");
        _meter.CreateObservableGauge("durabletask.instances.locked", () => Read() is { } h ? [new Measurement<int>(h.LockedInstances)] : Array.Empty<Measurement<int>>(),
            "{instance}", "Instances whose step is running now.");
        _meter.CreateObservableGauge("durabletask.dead_letters", () => Read() is { } h ? [new Measurement<int>(h.DeadLetters)] : Array.Empty<Measurement<int>>(),
            "{work_item}", "Work items in the dead letters.");
    }

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();

    /// <summary>The store's statistics, read at most once a second; null when the store cannot answer (no value is reported then).</summary>
    private StoreHealth? Read()
    {
        lock (_gate)
        {
            var now = Environment.TickCount64;
            if (_last is not null && now - _readAt < 1000)
            {
                return _last;
            }

            try
            {
                // Gauges are read synchronously by the collector; the query is the health page's, bounded by a timeout.
                using var timeout = new CancellationTokenSource(ReadTimeout);
                _last = _diagnostics.GetHealthAsync(timeout.Token).GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is OperationCanceledException or StoreUnavailableException or ObjectDisposedException or InvalidOperationException or System.Data.Common.DbException)
            {
                _last = null;
            }

            _readAt = now;
            return _last;
        }
    }
}
