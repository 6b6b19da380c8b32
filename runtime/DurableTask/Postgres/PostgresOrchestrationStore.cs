using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Serverless.DurableTask.Engine;

namespace Serverless.DurableTask.Postgres;

/// <summary>
/// The PostgreSQL store: the database is the source of truth and any host can take any work. One task hub per
/// schema. Instances with deliverable messages and activities are leased with <c>FOR UPDATE SKIP LOCKED</c>
/// (a lock token and a lease expiry), the leases of running work are renewed in the background, and a lease
/// whose host died is offered again. Every lease expiry and due time is the database's clock
/// (<c>clock_timestamp()</c>), never a host's, so hosts whose clocks disagree neither steal live leases nor fire
/// timers early; the host's <see cref="TimeProvider"/> stamps only what it records (history, instance rows). Commits NOTIFY the hub's channel; every host LISTENs on it, so new work,
/// finished steps and instance changes wake the waiting loops at once. Timers wake at their due time; a slow
/// safety poll covers a lost notification. While the database is unreachable the loops retry with capped
/// exponential backoff, and every call fails with <see cref="StoreUnavailableException"/> (after a short retry that
/// covers a connection broken by a restart), as the SQLite store's do when its disk is full.
/// </summary>
internal sealed partial class PostgresOrchestrationStore : IOrchestrationStore
{
    private readonly PostgresStoreOptions _options;
    private readonly TimeSpan _lease;
    private readonly TimeProvider _time;
    private readonly NpgsqlDataSource _dataSource;
    // Leases and activity results: commits that need no WAL flush of their own (docs/postgres.md, "Cost of a step").
    private readonly NpgsqlDataSource _leaseSource;
    private readonly ILogger _logger;
    private readonly string _channel;
    // The host's identity in lock_owner; the listener connection holds an advisory lock on it while the host lives.
    private readonly long _owner = Random.Shared.NextInt64(1, long.MaxValue);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ConcurrentDictionary<long, Lease> _held = new();
    private readonly ConcurrentDictionary<long, byte> _lost = new();
    private readonly ConcurrentQueue<Lease> _releaseLater = new();
    private readonly InstanceWatchers _watchers = new();
    private readonly WorkDispatcher<OrchestrationWorkItem> _orchestrations;
    private readonly WorkDispatcher<ActivityWorkItem> _activities;
    private readonly List<Task> _loops = [];
    private readonly SemaphoreSlim _sweepNow = new(0, 1);
    private readonly TaskCompletionSource _listeningOnce = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _listening;
    private int _unreachable;
    private int _initialized;

    public PostgresOrchestrationStore(string hubName, PostgresStoreOptions options, TimeSpan leaseDuration, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hubName);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new ArgumentException("The PostgreSQL store needs a connection string.", nameof(options));
        }

        HubName = hubName;
        _options = options;
        _lease = leaseDuration;
        _time = time ?? TimeProvider.System;
        Schema = options.SchemaName ?? PostgresStoreOptions.SchemaFor(hubName);
        if (!PostgresStoreOptions.IsValidSchemaName(Schema))
        {
            throw new ArgumentException($"The schema name '{Schema}' is not valid: use {PostgresStoreOptions.SchemaNameRule}.", nameof(options));
        }

        _channel = "durabletask_" + Schema;
        _logger = loggerFactory?.CreateLogger("Serverless.DurableTask.Postgres") ?? NullLogger.Instance;
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString)
        {
            SearchPath = Schema,
            MaxPoolSize = Math.Max(4, options.MaxPoolSize),

            // The store keeps no session state on a pooled connection (its settings are the connection's startup
            // options, its locks and LISTEN live on the listener's own connection), so a returned connection needs no
            // DISCARD ALL (and the lease connections keep their prepared statements).
            NoResetOnClose = true,
        };

        // An Application Name in the connection string (one per replica) tells the hosts apart in pg_stat_activity.
        builder.ApplicationName ??= "serverless-durabletask";
        _dataSource = NpgsqlDataSource.Create(builder);
        _leaseSource = options.FlushLeaseCommits ? _dataSource : NpgsqlDataSource.Create(WithoutFlushWait(builder));
        _orchestrations = new WorkDispatcher<OrchestrationWorkItem>(this, "orchestration", LeaseOrchestrationsAsync);
        _activities = new WorkDispatcher<ActivityWorkItem>(this, "activity", LeaseActivitiesAsync);
    }

    public string HubName { get; }

    /// <summary>Gets the schema that holds the hub's tables.</summary>
    public string Schema { get; }

    /// <summary>Gets how many orchestration lease queries this host has run (every one, whether it leased or came back empty).</summary>
    internal long OrchestrationLeaseQueries => _orchestrations.Queries;

    /// <summary>Gets the owner id this host stamps on its leases and its notifications.</summary>
    internal long OwnerId => _owner;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _initialized, 1) == 1)
        {
            return;
        }

        // A host may start before its database (containers starting together): wait for it, within a limit.
        var started = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await PostgresMigrations.ApplyAsync(connection, Schema, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (Exception ex) when (IsUnavailable(ex) && started.Elapsed < _options.StartupTimeout)
            {
                ReportUnreachable(ex);
                await Task.Delay(RetryDelay(attempt), cancellationToken).ConfigureAwait(false);
            }
        }

        ReportReachable();

        var stop = _shutdown.Token;
        _loops.Add(Task.Run(() => ListenAsync(stop), CancellationToken.None));
        _loops.Add(Task.Run(() => _orchestrations.RunAsync(stop), CancellationToken.None));
        _loops.Add(Task.Run(() => _activities.RunAsync(stop), CancellationToken.None));
        _loops.Add(Task.Run(() => MaintainLeasesAsync(stop), CancellationToken.None));
        _loops.Add(Task.Run(() => CommitActivityResultsAsync(stop), CancellationToken.None));
        _loops.Add(Task.Run(() => CommitClientWritesAsync(stop), CancellationToken.None));
        _groupingClientWrites = true;

        // Started means ready: wait (briefly) for the notification listener, without which the store reports unready.
        await _listeningOnce.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_shutdown.IsCancellationRequested)
        {
            return;
        }

        await _shutdown.CancelAsync().ConfigureAwait(false);
        _activityResults.Writer.TryComplete();
        _clientWrites.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Loops end by cancellation.
        }

        // Work leased but never handed to a worker loop goes back at once rather than waiting out its lease, and
        // that delivery does not count.
        var leftover = _orchestrations.Drain().Select(w => UncountedLease(w))
            .Concat(_activities.Drain().Select(a => new Lease(true, a.Task.InstanceId, a.Task.Id, a.LockToken) { Uncounted = true }))
            .ToList();
        if (leftover.Count > 0)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await ReleaseAsync(leftover, countDelivery: false, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsUnavailable(ex) || ex is OperationCanceledException)
            {
                // Their leases expire instead.
            }
        }

        _watchers.WakeAll(cancel: true);

        await _dataSource.DisposeAsync().ConfigureAwait(false);
        if (!ReferenceEquals(_leaseSource, _dataSource))
        {
            await _leaseSource.DisposeAsync().ConfigureAwait(false);
        }

        _sweepNow.Dispose();
        _shutdown.Dispose();
    }

    /// <summary>
    /// The host's clock, for what the host records (instance rows, history, dead letters) and to tell a message due
    /// now from one scheduled later. Never for a lease or a due time: those are the database's (<see cref="DbNow"/>).
    /// </summary>
    private DateTime HostNow() => RoundUp(_time.GetUtcNow().UtcDateTime);

    /// <summary>Rounds up to PostgreSQL's microseconds, so a stored due time is never earlier than the one asked for.</summary>
    internal static DateTime RoundUp(DateTime time)
    {
        var utc = DateTime.SpecifyKind(time, DateTimeKind.Utc);
        var extra = utc.Ticks % 10;
        return extra == 0 ? utc : utc.AddTicks(10 - extra);
    }

    /// <summary>Whether an error means the database could not be reached or the session broke (worth retrying), not a bad statement.</summary>
    internal static bool IsUnavailable(Exception ex) => ex switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) || pg.SqlState == PostgresErrorCodes.TooManyConnections,
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is System.Net.Sockets.SocketException or IOException or TimeoutException,
        TimeoutException or System.Net.Sockets.SocketException or IOException => true,
        _ => false,
    };

    /// <summary>How long a transaction is retried while the database is unreachable before its caller is told: long enough to reconnect after a restart, short enough for an HTTP answer.</summary>
    private TimeSpan UnavailableRetryWindow => TimeSpan.FromTicks(Math.Min(_lease.Ticks / 2, TimeSpan.FromSeconds(2).Ticks));

    /// <summary>Capped exponential backoff: 100 ms, 200 ms, ... up to <see cref="PostgresStoreOptions.MaxRetryDelay"/>.</summary>
    private TimeSpan RetryDelay(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(_options.MaxRetryDelay.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(failures, 16) - 1)));

    private void ReportUnreachable(Exception ex)
    {
        if (Interlocked.Exchange(ref _unreachable, 1) == 0)
        {
            _logger.DatabaseUnreachable(HubName, ex.Message);
        }

        // Connections opened before the outage are broken; new ones must be opened when the server is back.
        _dataSource.Clear();
        _leaseSource.Clear();
    }

    private void ReportReachable()
    {
        if (Interlocked.Exchange(ref _unreachable, 0) == 1)
        {
            _logger.DatabaseReachable(HubName);
        }
    }

    /// <summary>The error every caller gets while the database cannot be reached: the store's unavailable error, naming the cause (never the connection string).</summary>
    private StoreUnavailableException Unavailable(Exception ex)
    {
        ReportUnreachable(ex);
        return new StoreUnavailableException($"The PostgreSQL database of hub '{HubName}' is unreachable ({ex.Message}). Work waits and resumes when it is back.", ex);
    }

    /// <summary>Runs a read; an unreachable database becomes <see cref="StoreUnavailableException"/>.</summary>
    private async Task<T> ReadAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction; retries it on a deadlock or serialization failure, and for a
    /// moment while the database is unreachable (a pooled connection broken by a server restart fails once). Then
    /// throws <see cref="StoreUnavailableException"/>: the worker releases the step without counting a delivery (or
    /// keeps an activity's result and retries), an HTTP caller gets 503.
    /// </summary>
    private async Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken, NpgsqlDataSource? source = null)
    {
        var started = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await (source ?? _dataSource).OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                var result = await work(connection, tx).ConfigureAwait(false);
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                ReportReachable();
                return result;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 20 * attempt)), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
                if (cancellationToken.IsCancellationRequested || _shutdown.IsCancellationRequested || started.Elapsed >= UnavailableRetryWindow)
                {
                    throw Unavailable(ex);
                }

                ReportUnreachable(ex);
                await Task.Delay(RetryDelay(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken, NpgsqlDataSource? source = null)
    {
        ObjectDisposedException.ThrowIf(_shutdown.IsCancellationRequested, this);
        return await (source ?? _dataSource).OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The connection settings of the lease connections: <c>synchronous_commit=off</c>, so their commits return without
    /// waiting for the WAL flush. A lease or an activity result lost with the last moments of a crashed server is work
    /// offered again, as after a host's crash; the next flushed commit (a step's) makes everything before it durable.
    /// </summary>
    private static NpgsqlConnectionStringBuilder WithoutFlushWait(NpgsqlConnectionStringBuilder builder)
    {
        var leases = new NpgsqlConnectionStringBuilder(builder.ConnectionString);
        leases.Options = string.IsNullOrWhiteSpace(leases.Options) ? "-c synchronous_commit=off" : leases.Options + " -c synchronous_commit=off";
        leases.ApplicationName = builder.ApplicationName + " (leases)";

        // Their few statements (the lease queries, the read of a step's messages, the commit of activity results) run
        // thousands of times and never fail on a constraint: they are prepared after their second use on a connection.
        leases.MaxAutoPrepare = 16;
        leases.AutoPrepareMinUsages = 2;
        return leases;
    }

    /// <summary>Keeps a connection LISTENing on the hub's channel (reconnecting with backoff), and holds the host's liveness lock on it.</summary>
    private async Task ListenAsync(CancellationToken stop)
    {
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(stop).ConfigureAwait(false);
                connection.Notification += (_, e) => OnNotification(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN \"{_channel}\"; SELECT pg_advisory_lock(@owner);", connection))
                {
                    listen.Parameters.AddWithValue("owner", _owner);
                    await listen.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                }

                _listening = true;

                // Anything committed while nobody listened: look again, and let every waiter re-read (before the start
                // goes on, so that the first look of the worker loops answers this too).
                WakeEverything();
                _listeningOnce.TrySetResult();
                failures = 0;
                ReportReachable();

                // With its own liveness lock held again, this host can tell which hosts are gone: look at once.
                if (_sweepNow.CurrentCount == 0)
                {
                    _sweepNow.Release();
                }
                while (!stop.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(TimeSpan.FromSeconds(10), stop).ConfigureAwait(false))
                    {
                        // Quiet: prove the connection is alive, so a dead server is noticed.
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(stop).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _listening = false;
                failures++;
                if (IsUnavailable(ex))
                {
                    ReportUnreachable(ex);
                }
                else
                {
                    _logger.ListenerFailed(HubName, ex);
                }

                try
                {
                    await Task.Delay(RetryDelay(failures), stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            finally
            {
                _listening = false;
            }
        }
    }

    /// <summary>
    /// Payload: flags ('o' orchestration work, 'a' activity work, '*' every instance changed), optionally '#' and the
    /// sending host's owner id, then '|' and the changed instance ids separated by U+001F. A notification this host
    /// sent itself wakes only its change watchers: every commit that leaves work wakes this host's own loops directly
    /// (<see cref="Flags"/>), so the echo would only run a second lease query for work already taken or being taken.
    /// </summary>
    private void OnNotification(string payload)
    {
        var wake = Notification.Parse(payload, _owner);
        if (wake.Orchestrations)
        {
            _orchestrations.Pulse();
        }

        if (wake.Activities)
        {
            _activities.Pulse();
        }

        if (wake.AllInstances)
        {
            _watchers.WakeAll();
        }
        else if (wake.Instances.Length > 0)
        {
            _watchers.Wake(wake.Instances);
        }
    }

    /// <summary>
    /// The flags of a notification this host sends: <paramref name="work"/> ('o', 'a') and its owner id after '#', so
    /// that this host can tell its own notifications from the others'. A host of an earlier build reads only the
    /// letters 'o', 'a' and '*' of the flags, none of which the suffix contains.
    /// </summary>
    private string Flags(string work) => work + "#" + _owner.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What a notification asks a host to wake.</summary>
    internal readonly record struct Notification(bool Orchestrations, bool Activities, bool AllInstances, string[] Instances)
    {
        /// <summary>Reads a payload (see <see cref="OnNotification"/>) as seen by the host whose owner id is <paramref name="self"/>.</summary>
        public static Notification Parse(string payload, long self)
        {
            var bar = payload.IndexOf('|', StringComparison.Ordinal);
            var flags = bar < 0 ? payload : payload[..bar];
            var hash = flags.IndexOf('#', StringComparison.Ordinal);
            var own = hash >= 0 && long.TryParse(flags.AsSpan(hash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sender) && sender == self;
            var work = hash >= 0 ? flags[..hash] : flags;
            return new(
                !own && work.Contains('o', StringComparison.Ordinal),
                !own && work.Contains('a', StringComparison.Ordinal),
                work.Contains('*', StringComparison.Ordinal),
                work.Contains('*', StringComparison.Ordinal) || bar < 0 || bar == payload.Length - 1 ? [] : payload[(bar + 1)..].Split('\u001f'));
        }
    }

    private void WakeEverything()
    {
        _orchestrations.Pulse();
        _activities.Pulse();
        _watchers.WakeAll();
    }

    /// <summary>
    /// Every third of the lease (at most 2 s): extends the activity leases this host's workers still hold, releases the ones it could not release while
    /// the database was away, and voids the leases of hosts that are gone (their liveness lock is free), so their
    /// work is offered again without waiting out the lease.
    /// </summary>
    private async Task MaintainLeasesAsync(CancellationToken stop)
    {
        var interval = TimeSpan.FromMilliseconds(Math.Clamp(_lease.TotalMilliseconds / 3, 100, 2_000));
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _sweepNow.WaitAsync(failures == 0 ? interval : TimeSpan.FromTicks(Math.Min(interval.Ticks, RetryDelay(failures).Ticks)), stop).ConfigureAwait(false);
                await RenewAsync(stop).ConfigureAwait(false);
                var release = new List<Lease>();
                while (_releaseLater.TryPeek(out _) && _releaseLater.TryDequeue(out var lease))
                {
                    release.Add(lease);
                }

                if (release.Count > 0)
                {
                    try
                    {
                        await ReleaseAsync(release, countDelivery: true, stop).ConfigureAwait(false);
                    }
                    catch
                    {
                        foreach (var lease in release)
                        {
                            _releaseLater.Enqueue(lease);
                        }

                        throw;
                    }
                }

                await VoidLeasesOfDeadHostsAsync(stop).ConfigureAwait(false);
                failures = 0;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                if (IsUnavailable(ex))
                {
                    ReportUnreachable(ex);
                }
                else
                {
                    _logger.LeaseMaintenanceFailed(HubName, ex);
                }
            }
        }
    }

    /// <summary>Extends the activity leases whose worker asked for it (<see cref="RenewActivityLease"/>) since the last round.</summary>
    private async Task RenewAsync(CancellationToken stop)
    {
        var held = _held.Values.Where(l => l.Activity && Interlocked.Exchange(ref l.RenewRequested, 0) == 1).ToList();
        if (held.Count == 0)
        {
            return;
        }

        var renewed = new HashSet<long>();
        await using var connection = await OpenAsync(stop).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("UPDATE instance_queue q SET locked_until = clock_timestamp() + $1 FROM unnest($2::text[], $3::bigint[]) AS u(id, token) WHERE q.instance_id = u.id AND q.lock_token = u.token RETURNING q.lock_token")
                {
                    Parameters = { new() { Value = _lease }, new() { Value = held.Where(l => !l.Activity).Select(l => l.InstanceId).ToArray() }, new() { Value = held.Where(l => !l.Activity).Select(l => l.Token).ToArray() } },
                },
                new NpgsqlBatchCommand("UPDATE tasks t SET locked_until = clock_timestamp() + $1 FROM unnest($2::bigint[], $3::bigint[]) AS u(id, token) WHERE t.id = u.id AND t.lock_token = u.token RETURNING t.lock_token")
                {
                    Parameters = { new() { Value = _lease }, new() { Value = held.Where(l => l.Activity).Select(l => l.TaskId).ToArray() }, new() { Value = held.Where(l => l.Activity).Select(l => l.Token).ToArray() } },
                },
            },
        };
        await using (var reader = await batch.ExecuteReaderAsync(stop).ConfigureAwait(false))
        {
            do
            {
                while (await reader.ReadAsync(stop).ConfigureAwait(false))
                {
                    renewed.Add(reader.GetInt64(0));
                }
            }
            while (await reader.NextResultAsync(stop).ConfigureAwait(false));
        }

        foreach (var lease in held.Where(l => !renewed.Contains(l.Token)))
        {
            // Another host took it (the lease had expired): this host's commit will be refused.
            if (_held.TryRemove(lease.Token, out _))
            {
                _lost[lease.Token] = 0;
            }
        }
    }

    private async Task VoidLeasesOfDeadHostsAsync(CancellationToken stop)
    {
        if (!_listening)
        {
            return;
        }

        const string LiveOwners = "SELECT (l.classid::bigint << 32) | l.objid::bigint FROM pg_locks l WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())";
        await using var connection = await OpenAsync(stop).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            $"""
            WITH live AS ({LiveOwners}),
            o AS (UPDATE instance_queue SET locked_until = '-infinity' WHERE lock_token IS NOT NULL AND locked_until > {DbNow} AND lock_owner NOT IN (SELECT * FROM live) RETURNING 1),
            a AS (UPDATE tasks SET locked_until = '-infinity' WHERE lock_token IS NOT NULL AND locked_until > {DbNow} AND lock_owner NOT IN (SELECT * FROM live) RETURNING 1)
            SELECT (SELECT count(*) FROM o), (SELECT count(*) FROM a)
            """,
            connection);
        await using var reader = await command.ExecuteReaderAsync(stop).ConfigureAwait(false);
        await reader.ReadAsync(stop).ConfigureAwait(false);
        var (orchestrations, activities) = (reader.GetInt64(0), reader.GetInt64(1));
        if (orchestrations + activities > 0)
        {
            _logger.LeasesOfDeadHostVoided(HubName, orchestrations, activities);
            await reader.DisposeAsync().ConfigureAwait(false);
            await using var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection) { Parameters = { new() { Value = _channel }, new() { Value = Flags("oa") } } };
            await notify.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
            _orchestrations.Pulse();
            _activities.Pulse();
        }
    }

    /// <summary>A lease this host holds: an instance (orchestration or entity) or an activity.</summary>
    private sealed record Lease(bool Activity, string InstanceId, long TaskId, long Token)
    {
        /// <summary>Gets whether its delivery does not count (the store failed, not the work): released without a backoff, its messages' delivery uncounted.</summary>
        public bool Uncounted { get; init; }

        /// <summary>Gets the messages delivered under an instance lease (uncounted when <see cref="Uncounted"/>).</summary>
        public long[] MessageIds { get; init; } = [];

        /// <summary>Gets how long the instance's work waits before it is offered again (a step this build cannot run).</summary>
        public TimeSpan? DeferFor { get; init; }

        /// <summary>1 when the worker asked to extend the lease since the last renewal round.</summary>
        public int RenewRequested;
    }
}
