using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using P = Microsoft.DurableTask.Protobuf;
using Serverless.DurableTask.Engine;

namespace Serverless.DurableTask.Sqlite;

/// <summary>
/// The SQLite store: one database file per task hub, in WAL mode. All writes go through one writer thread that
/// commits many requests per transaction (group commit); each request runs in its own savepoint, so one
/// request's failure never undoes another's. The file is held with an exclusive lock file, so the queues of
/// ready work are kept in memory (rebuilt from the tables at start-up) and nothing is polled.
/// </summary>
internal sealed partial class SqliteOrchestrationStore : IOrchestrationStore
{
    /// <summary>How long work waits before it is tried again after the store could not write it.</summary>
    internal static readonly TimeSpan StoreRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>How long the timer loop sleeps at most while a timer is pending, so that it notices a jump of the wall clock.</summary>
    internal static readonly TimeSpan ClockCheck = TimeSpan.FromSeconds(1);

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly SqliteStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lease;
    private readonly string _connectionString;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, InstanceQueue> _queues = new(StringComparer.Ordinal);
    private readonly Channel<string> _readyInstances = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private readonly PriorityQueue<string, DateTime> _delayed = new();
    private readonly Dictionary<long, ActivityEntry> _activities = [];
    private readonly Channel<long> _readyActivities = Channel.CreateUnbounded<long>();
    private readonly InstanceWatchers _watchers = new();
    // Synchronous continuations: a write wakes the blocked writer thread directly, without a thread-pool hop.
    private readonly Channel<WriteRequest> _writes = Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private FileStream? _lockFile;
    private SqliteConnection? _writer;
    private Dictionary<string, SqliteCommand>? _commands;
    private readonly TaskCompletionSource _writerExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _writerThread;
    private Task? _delayLoop;
    private Timer? _sweeper;
    private long _nextMessageId;
    private long _nextTaskId;
    private long _nextLockToken;
    private int _initialized;
    // Why a write failed for the storage's sake (disk full, read-only), until readiness's probe write succeeds again.
    private volatile string? _writeFault;
    // Set on the writer thread while a request's failure callback runs for a storage fault. Caller holds the gate.
    private bool _failingForStore;

    public SqliteOrchestrationStore(string hubName, SqliteStoreOptions options, TimeSpan leaseDuration, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        ArgumentException.ThrowIfNullOrWhiteSpace(hubName);
        HubName = hubName;
        _options = options;
        _lease = leaseDuration;
        DatabasePath = Path.GetFullPath(options.DatabasePath ?? Path.Combine(".data", hubName + ".db"));
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        }.ToString();
    }

    public string HubName { get; }

    /// <summary>Gets the wall clock: message visibility, timers, timestamps.</summary>
    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    /// <summary>Gets the monotonic clock in milliseconds: lease deadlines, which a jump of the wall clock must not move.</summary>
    private static long Ticks => Environment.TickCount64;

    public string DatabasePath { get; }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _initialized, 1) == 1)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        if (_options.ExclusiveLock)
        {
            try
            {
                _lockFile = new FileStream(DatabasePath + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex)
            {
                throw new StoreInUseException(DatabasePath, ex);
            }
        }

        _writer = new SqliteConnection(_connectionString);
        try
        {
            await _writer.OpenAsync(cancellationToken).ConfigureAwait(false);
            ExecuteRaw(_writer, "PRAGMA journal_mode=WAL;");
            ExecuteRaw(_writer, $"PRAGMA synchronous={(_options.Synchronous == SqliteSynchronousMode.Full ? "FULL" : "NORMAL")};");
            ExecuteRaw(_writer, $"PRAGMA busy_timeout={(int)_options.BusyTimeout.TotalMilliseconds};");
            SqliteMigrations.Apply(_writer);
            _commands = new Dictionary<string, SqliteCommand>(StringComparer.Ordinal);
            LoadQueues(_writer);
        }
        catch (SqliteException ex) when (SqliteFaults.IsCorruption(ex))
        {
            throw new StoreCorruptException(DatabasePath, $"SQLite: {ex.Message}", ex);
        }

        _writerThread = new Thread(RunWriter) { IsBackground = true, Name = $"sqlite-writer-{HubName}" };
        _writerThread.Start();
        _delayLoop = Task.Run(DelayLoopAsync, CancellationToken.None);
        var sweep = TimeSpan.FromMilliseconds(Math.Max(50, _lease.TotalMilliseconds / 4));
        _sweeper = new Timer(_ => SweepExpiredLeases(), null, sweep, sweep);
    }

    public async ValueTask DisposeAsync()
    {
        if (_shutdown.IsCancellationRequested)
        {
            return;
        }

        await _shutdown.CancelAsync().ConfigureAwait(false);
        _writes.Writer.TryComplete();
        _readyInstances.Writer.TryComplete();
        _readyActivities.Writer.TryComplete();
        _wake.Release();
        if (_sweeper is not null)
        {
            await _sweeper.DisposeAsync().ConfigureAwait(false);
        }

        if (_writerThread is not null)
        {
            // Awaited, not Join()ed: the writer wakes from its channel wait through a thread-pool continuation, so
            // blocking a pool thread here can stall shutdown until the pool injects another thread.
            await _writerExited.Task.ConfigureAwait(false);
        }
        if (_delayLoop is not null)
        {
            await _delayLoop.ConfigureAwait(false);
        }

        if (_commands is not null)
        {
            foreach (var command in _commands.Values)
            {
                command.Dispose();
            }
        }

        if (_writer is not null)
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }

        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        _lockFile?.Dispose();
        _wake.Dispose();
        _shutdown.Dispose();
    }

    internal static long ToMs(DateTime time) => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

    internal static long ToMsRoundedUp(DateTime time)
    {
        var ms = ToMs(time);
        return FromMs(ms) < DateTime.SpecifyKind(time, DateTimeKind.Utc) ? ms + 1 : ms;
    }

    internal static DateTime FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;

    /// <summary>Reads a stored event column: protobuf bytes; anything else is unreadable data.</summary>
    internal static P.HistoryEvent ReadEvent(SqliteDataReader reader, int ordinal) =>
        reader.GetValue(ordinal) is byte[] bytes ? HistoryEvents.Decode(bytes) : throw new InvalidDataException("A stored event is not protobuf bytes.");

    private void RunWriter()
    {
        try
        {
            WriterLoop();
        }
        finally
        {
            _writerExited.TrySetResult();
        }
    }

    private static void ExecuteRaw(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_shutdown.IsCancellationRequested, this);
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private void LoadQueues(SqliteConnection connection)
    {
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT COALESCE(MAX(id), 0) FROM Messages; ";
            _nextMessageId = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
            command.CommandText = "SELECT COALESCE(MAX(id), 0) FROM Tasks;";
            _nextTaskId = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        var corrupt = new List<(long Id, string InstanceId, string Payload, string Reason)>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT id, instance_id, visible_at, dequeue_count, event, target_execution FROM Messages ORDER BY id";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var id = reader.GetInt64(0);
                var instanceId = reader.GetString(1);
                P.HistoryEvent e;
                try
                {
                    e = ReadEvent(reader, 4);
                }
                catch (InvalidDataException ex)
                {
                    var raw = reader.GetValue(4);
                    corrupt.Add((id, instanceId, raw is byte[] b ? Convert.ToBase64String(b) : Convert.ToString(raw, CultureInfo.InvariantCulture) ?? string.Empty, $"The stored message could not be read: {ex.Message}"));
                    continue;
                }

                var q = GetQueue(instanceId);
                q.Messages.Add(new InstanceMessage(id, instanceId, FromMs(reader.GetInt64(2)), e, reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt32(3)));
                q.Recovered ??= [];
                q.Recovered.Add(id);
            }
        }

        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT instance_id FROM Instances WHERE runtime_status = 7";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (_queues.TryGetValue(reader.GetString(0), out var q))
                {
                    q.Suspended = true;
                }
            }
        }

        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT id, instance_id, execution_id, task_id, name, input, dequeue_count, trace_parent FROM Tasks ORDER BY id";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var task = new ActivityTask(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetString(7));
                _activities[task.Id] = new ActivityEntry(task) { Recovered = true };
                _readyActivities.Writer.TryWrite(task.Id);
            }
        }

        if (corrupt.Count > 0)
        {
            // Unreadable messages are kept in the dead-letter table, never dropped and never retried forever.
            using var tx = connection.BeginTransaction();
            foreach (var (id, instanceId, payload, reason) in corrupt)
            {
                using var command = connection.CreateCommand();
                command.Transaction = tx;
                command.CommandText = "INSERT INTO DeadLetters (kind, instance_id, payload, reason, dequeue_count, dead_lettered_at) VALUES ('message', $i, $p, $r, 0, $t); DELETE FROM Messages WHERE id = $id;";
                command.Parameters.AddWithValue("$i", instanceId);
                command.Parameters.AddWithValue("$p", payload);
                command.Parameters.AddWithValue("$r", reason);
                command.Parameters.AddWithValue("$t", ToMs(Now));
                command.Parameters.AddWithValue("$id", id);
                command.ExecuteNonQuery();
            }

            tx.Commit();
        }

        lock (_gate)
        {
            foreach (var (id, q) in _queues.ToList())
            {
                Evaluate(id, q, Now);
            }
        }
    }

    private InstanceQueue GetQueue(string instanceId)
    {
        if (!_queues.TryGetValue(instanceId, out var q))
        {
            q = new InstanceQueue();
            _queues[instanceId] = q;
        }

        return q;
    }

    /// <summary>Puts the instance on the ready channel when it has deliverable work, or schedules a wake-up for its next due message. Caller holds the gate.</summary>
    private void Evaluate(string instanceId, InstanceQueue q, DateTime now)
    {
        if (q.LockToken != 0 || q.Ready)
        {
            return;
        }

        if (q.Messages.Count == 0)
        {
            _queues.Remove(instanceId);
            return;
        }

        DateTime? next = null;
        foreach (var m in q.Messages)
        {
            if (q.Suspended && !m.IsControl)
            {
                continue;
            }

            var due = m.VisibleAt > q.NotBefore ? m.VisibleAt : q.NotBefore;
            if (due <= now)
            {
                q.Ready = true;
                _readyInstances.Writer.TryWrite(instanceId);
                return;
            }

            if (next is null || due < next)
            {
                next = due;
            }
        }

        if (next is { } at)
        {
            ScheduleWake(instanceId, at);
        }
    }

    private void ScheduleWake(string instanceId, DateTime at)
    {
        var earliest = _delayed.TryPeek(out _, out var current) ? current : DateTime.MaxValue;
        _delayed.Enqueue(instanceId, at);
        if (at < earliest)
        {
            _wake.Release();
        }
    }

    private async Task DelayLoopAsync()
    {
        while (!_shutdown.IsCancellationRequested)
        {
            TimeSpan wait;
            lock (_gate)
            {
                var now = Now;
                while (_delayed.TryPeek(out var id, out var at) && at <= now)
                {
                    _delayed.Dequeue();
                    if (_queues.TryGetValue(id, out var q))
                    {
                        Evaluate(id, q, now);
                    }
                }

                // The sleep is measured on the monotonic clock, the due times on the wall clock: a wall clock that jumps
                // (NTP, a resumed VM) is noticed within ClockCheck, so a timer fires when the clock says it is due.
                wait = _delayed.TryPeek(out _, out var next) ? next - now : Timeout.InfiniteTimeSpan;
                if (wait != Timeout.InfiniteTimeSpan && wait > ClockCheck)
                {
                    wait = ClockCheck;
                }
            }

            try
            {
                await _wake.WaitAsync(wait, _shutdown.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    private void SweepExpiredLeases()
    {
        lock (_gate)
        {
            var now = Now;
            foreach (var (id, q) in _queues.ToList())
            {
                if (q.LockToken != 0 && !q.Committing && q.LockUntil < Ticks)
                {
                    ReleaseInstance(id, q, countDelivery: true, now);
                }
            }

            foreach (var entry in _activities.Values)
            {
                if (entry.LockToken != 0 && !entry.Committing && entry.LockUntil < Ticks)
                {
                    entry.LockToken = 0;
                    entry.Task = entry.Task with { DequeueCount = entry.Task.DequeueCount + 1 };
                    _readyActivities.Writer.TryWrite(entry.Task.Id);
                }
            }
        }
    }

    /// <summary>Releases a lease without committing; delivered messages count one more delivery. Caller holds the gate.</summary>
    private void ReleaseInstance(string instanceId, InstanceQueue q, bool countDelivery, DateTime now, TimeSpan? deferFor = null)
    {
        q.LockToken = 0;
        q.Committing = false;
        if (deferFor is { } delay)
        {
            // A step this build cannot run: not the work's fault either; it waits for a build that can.
            countDelivery = false;
            q.NotBefore = now + delay;
        }

        if (q.StoreFaulted)
        {
            // The step could not be written: not the work's fault, so no delivery is counted; try again shortly.
            q.StoreFaulted = false;
            countDelivery = false;
            q.NotBefore = now + StoreRetryDelay;
        }

        if (countDelivery && q.Delivered is { } delivered)
        {
            for (var i = 0; i < q.Messages.Count; i++)
            {
                if (delivered.Contains(q.Messages[i].Id))
                {
                    q.Messages[i] = q.Messages[i] with { DequeueCount = q.Messages[i].DequeueCount + 1 };
                }
            }

            var attempts = q.Messages.Where(m => delivered.Contains(m.Id)).Select(m => m.DequeueCount).DefaultIfEmpty(1).Max();
            q.NotBefore = now + TimeSpan.FromMilliseconds(Math.Min(10_000, 100 * Math.Pow(2, attempts - 1)));
        }

        q.Delivered = null;
        Evaluate(instanceId, q, now);
    }

    private void NotifyWatchers(string instanceId) => _watchers.Wake(instanceId);

    private sealed class InstanceQueue
    {
        public List<InstanceMessage> Messages { get; } = [];

        public HashSet<long>? Recovered { get; set; }

        public HashSet<long>? Delivered { get; set; }

        public bool Suspended { get; set; }

        public bool Ready { get; set; }

        public long LockToken { get; set; }

        public long LockUntil { get; set; }

        public bool Committing { get; set; }

        public bool StoreFaulted { get; set; }

        public DateTime NotBefore { get; set; }
    }

    private sealed class ActivityEntry(ActivityTask task)
    {
        public ActivityTask Task { get; set; } = task;

        public long LockToken { get; set; }

        public long LockUntil { get; set; }

        public bool Committing { get; set; }

        public bool Recovered { get; set; }
    }
}
