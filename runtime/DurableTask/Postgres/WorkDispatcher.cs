using System.Threading.Channels;

namespace Serverless.DurableTask.Postgres;

/// <content>The dispatcher that leases work for the waiting worker loops.</content>
internal sealed partial class PostgresOrchestrationStore
{
    /// <summary>
    /// Leases work for the worker loops waiting in <see cref="TakeAsync"/>: one query leases up to as many items as
    /// loops wait (so work is never leased ahead of a free slot), and the same round trip reads how long until the next
    /// delayed item is due (by the database's clock). Idle, it sleeps until a notification, a new waiter, the next due time or the safety poll;
    /// a new waiter alone costs no query unless one is owed (work may have come, the last batch was full, or the time set by
    /// the last query has come).
    /// Wake-ups coalesce: any number of them before a query starts cost that one query.
    /// </summary>
    private sealed class WorkDispatcher<T>(PostgresOrchestrationStore store, string queue, Func<int, CancellationToken, Task<(IReadOnlyList<T> Items, TimeSpan? NextDueIn)>> lease)
    {
        private readonly Channel<T> _ready = Channel.CreateUnbounded<T>();
        private readonly SemaphoreSlim _signal = new(0, 1);
        private int _waiting;
        private long _queries;

        // 1 when work may have come since the last query (a notification, a commit, a release): the next query with
        // demand is owed. A new waiter alone owes none — an empty queue stays empty until one of those says otherwise.
        private int _hint = 1;

        /// <summary>Gets how many lease queries this dispatcher has run.</summary>
        public long Queries => Interlocked.Read(ref _queries);

        public async Task<T> TakeAsync(CancellationToken cancellationToken)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, store._shutdown.Token);
            Interlocked.Increment(ref _waiting);
            Wake();
            try
            {
                return await _ready.Reader.ReadAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ObjectDisposedException(nameof(PostgresOrchestrationStore), "The store is shutting down.");
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }

        /// <summary>Wakes the dispatcher: there may be new work.</summary>
        public void Pulse()
        {
            Volatile.Write(ref _hint, 1);
            Wake();
        }

        /// <summary>Wakes the dispatcher to look at its demand (a new waiter); it queries only when work may be there.</summary>
        private void Wake()
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
            catch (ObjectDisposedException)
            {
                // Shut down.
            }
        }

        /// <summary>Takes the items leased but not handed out (at shutdown).</summary>
        public List<T> Drain()
        {
            var items = new List<T>();
            while (_ready.Reader.TryRead(out var item))
            {
                items.Add(item);
            }

            return items;
        }

        public async Task RunAsync(CancellationToken stop)
        {
            var minPoll = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(50).Ticks, store._options.MaxPollInterval.Ticks / 4));
            var poll = minPoll;
            var failures = 0;

            // When a query is owed regardless of hints (a Stopwatch timestamp): the time the last query set (the safety
            // poll, or the next due item or lease expiry); 0 — at once — at the start, after a failure or a full batch.
            var lookAt = 0L;
            while (!stop.IsCancellationRequested)
            {
                // Every wake-up so far (a notification read, a commit of this host's, a new waiter) is about work
                // committed before the query below starts, or counted in its demand, so that query answers it: only
                // one that comes while it runs asks for another.
                _signal.Wait(0, CancellationToken.None);
                var wait = Timeout.InfiniteTimeSpan;
                var demand = Volatile.Read(ref _waiting) - _ready.Reader.Count;
                if (demand > 0 && (Interlocked.Exchange(ref _hint, 0) == 1 | System.Diagnostics.Stopwatch.GetTimestamp() >= lookAt))
                {
                    var take = Math.Min(demand, Math.Max(1, store._options.MaxBatchSize));
                    (IReadOnlyList<T> Items, TimeSpan? NextDueIn) result;
                    try
                    {
                        result = await lease(take, stop).ConfigureAwait(false);
                        failures = 0;
                        store.ReportReachable();
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception ex)
                    {
                        failures++;
                        lookAt = 0;
                        if (IsUnavailable(ex))
                        {
                            store.ReportUnreachable(ex);
                        }
                        else
                        {
                            store._logger.DispatchFailed(store.HubName, ex);
                        }

                        try
                        {
                            await Task.Delay(store.RetryDelay(failures), stop).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            return;
                        }

                        continue;
                    }

                    DurableTaskTelemetry.LeaseQueried("postgresql", queue, result.Items.Count);
                    Interlocked.Increment(ref _queries);
                    foreach (var item in result.Items)
                    {
                        _ready.Writer.TryWrite(item);
                    }

                    if (result.Items.Count > 0)
                    {
                        poll = minPoll;
                        if (result.Items.Count == take)
                        {
                            lookAt = 0;
                            continue;
                        }
                    }

                    wait = poll;
                    poll = TimeSpan.FromTicks(Math.Min(poll.Ticks * 2, store._options.MaxPollInterval.Ticks));
                    if (result.NextDueIn is { } until)
                    {
                        // An interval measured by the database's clock: this host's wall clock plays no part.
                        wait = until < TimeSpan.Zero ? TimeSpan.Zero : until < wait ? until + TimeSpan.FromMilliseconds(1) : wait;
                    }

                    lookAt = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
                }
                else if (demand > 0)
                {
                    // Nothing says work came: sleep until a hint or the time the last query set.
                    var left = lookAt - System.Diagnostics.Stopwatch.GetTimestamp();
                    wait = TimeSpan.FromSeconds(Math.Max(0, left) / (double)System.Diagnostics.Stopwatch.Frequency);
                }

                try
                {
                    await _signal.WaitAsync(wait, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
