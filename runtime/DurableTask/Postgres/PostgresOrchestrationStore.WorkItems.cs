using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Google.Protobuf;
using System.Text.Json;
using System.Threading.Channels;
using Npgsql;
using Serverless.DurableTask.Engine;
using P = Microsoft.DurableTask.Protobuf;
using Serverless.DurableTask.Sqlite;

namespace Serverless.DurableTask.Postgres;

/// <content>Leasing and committing orchestration, entity and activity work.</content>
internal sealed partial class PostgresOrchestrationStore
{
    private const string InstanceColumns = StoreRows.InstanceColumns;

    /// <summary>
    /// The database's clock, read once per statement (an uncorrelated sub-select is an init plan, so it can drive an
    /// index scan, unlike a bare volatile call). Every lease expiry and due time is compared with it: the hosts' clocks
    /// may disagree, the database has one. Real time, not the transaction's start: a statement that waited on a lock
    /// neither leases for less than the lease duration nor sees expiries late.
    /// </summary>
    private const string DbNow = "(SELECT clock_timestamp())";

    // Deliverable: visible, and either a control message or the instance is not suspended.
    private const string Deliverable = "(m.is_control OR NOT EXISTS (SELECT 1 FROM instances i WHERE i.instance_id = m.instance_id AND i.runtime_status = 7))";

    private const string LeaseInstancesSql = $"""
        WITH picked AS (
            SELECT instance_id FROM instance_queue
            WHERE ready_at <= {DbNow} AND locked_until < {DbNow}
            ORDER BY ready_at LIMIT $1
            FOR UPDATE SKIP LOCKED)
        UPDATE instance_queue q SET lock_token = nextval('lock_tokens'), locked_until = clock_timestamp() + $2, lock_owner = $3
        FROM picked WHERE q.instance_id = picked.instance_id
        RETURNING q.instance_id, q.lock_token
        """;

    private const string LeaseTasksSql = $"""
        WITH picked AS (
            SELECT id FROM tasks
            WHERE ready_at <= {DbNow} AND locked_until < {DbNow}
            ORDER BY ready_at, id LIMIT $1
            FOR UPDATE SKIP LOCKED)
        UPDATE tasks t SET lock_token = nextval('lock_tokens'), locked_until = clock_timestamp() + $2, lock_owner = $3, dequeue_count = t.dequeue_count + 1
        FROM picked WHERE t.id = picked.id
        RETURNING t.id, t.instance_id, t.execution_id, t.task_id, t.name, t.input, t.dequeue_count - 1, t.lock_token, t.trace_parent
        """;

    // Locks the queue rows a transaction will touch, in one global order, so two commits never deadlock.
    private const string LockQueueRowsSql = "SELECT instance_id, lock_token FROM instance_queue WHERE instance_id = ANY($1) ORDER BY instance_id FOR UPDATE";

    // Inserts messages and lowers their instances' due times (never raises them: only the lease holder does that).
    // A message due by the sender's clock ($6: not after its "now") is due at the database's now (the transaction's
    // start, so at once for every host once committed); a later one (a timer's fire-at, a scheduled start) keeps its time.
    private const string EnqueueSql = """
        WITH ins AS (
            INSERT INTO messages (instance_id, visible_at, is_control, event, target_execution)
            SELECT i, CASE WHEN v <= $6 THEN now() ELSE v END, c, e, x FROM unnest($1::text[], $2::timestamptz[], $3::boolean[], $4::bytea[], $5::text[]) AS u(i, v, c, e, x)
            RETURNING instance_id, visible_at)
        INSERT INTO instance_queue (instance_id, ready_at)
        SELECT instance_id, MIN(visible_at) FROM ins GROUP BY instance_id ORDER BY instance_id
        ON CONFLICT (instance_id) DO UPDATE SET ready_at = LEAST(instance_queue.ready_at, excluded.ready_at)
        """;

    // Deletes the activities whose lease ($2) is still this host's and queues the results of exactly those, due at
    // once (as EnqueueSql does a message due now); returns the ids of the activities committed.
    private const string CommitResultsSql = """
        WITH done AS (
            DELETE FROM tasks t USING unnest($1::bigint[], $2::bigint[]) AS u(id, token) WHERE t.id = u.id AND t.lock_token = u.token
            RETURNING t.id),
        ins AS (
            INSERT INTO messages (instance_id, visible_at, is_control, event, target_execution)
            SELECT r.i, now(), false, r.e, r.x
            FROM unnest($1::bigint[], $3::text[], $4::bytea[], $5::text[]) WITH ORDINALITY AS r(id, i, e, x, n)
            WHERE r.id IN (SELECT id FROM done)
            ORDER BY r.n
            RETURNING instance_id, visible_at),
        queued AS (
            INSERT INTO instance_queue (instance_id, ready_at)
            SELECT instance_id, MIN(visible_at) FROM ins GROUP BY instance_id ORDER BY instance_id
            ON CONFLICT (instance_id) DO UPDATE SET ready_at = LEAST(instance_queue.ready_at, excluded.ready_at))
        SELECT id FROM done
        """;

    // Ends a lease: recomputes when the instance next has deliverable work ($2: after a retry backoff, on the database's clock) and tells every
    // host (the 'o' flag when work is left, then this host's '#' owner suffix ($7), and the instance id for change watchers). The caller
    // holds the row lock and wakes this host's own orchestration loop itself.
    private const string ReleaseInstanceSql = $"""
        WITH r AS (
            UPDATE instance_queue q SET lock_token = NULL, lock_owner = NULL, locked_until = '-infinity',
                ready_at = (
                    SELECT CASE WHEN MIN(m.visible_at) IS NULL THEN NULL
                                WHEN $6::interval IS NOT NULL THEN GREATEST(MIN(m.visible_at), clock_timestamp() + $6::interval)
                                WHEN $2 THEN GREATEST(MIN(m.visible_at), clock_timestamp() + LEAST(interval '10 seconds', interval '100 milliseconds' * power(2, GREATEST(MAX(m.dequeue_count), 1) - 1)))
                                ELSE MIN(m.visible_at) END
                    FROM messages m WHERE m.instance_id = q.instance_id AND {Deliverable})
            WHERE q.instance_id = $1
            RETURNING q.ready_at)
        SELECT pg_notify($3, $4 || CASE WHEN (SELECT ready_at FROM r) IS NOT NULL THEN 'o' ELSE '' END || $7 || '|' || $5)
        """;

    private const string DropIdleQueueRowSql = "DELETE FROM instance_queue q WHERE q.instance_id = $1 AND q.ready_at IS NULL AND q.lock_token IS NULL AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.instance_id = q.instance_id)";

    private const string UpsertInstanceSql = $"""
        INSERT INTO instances ({InstanceColumns})
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
        ON CONFLICT (instance_id) DO UPDATE SET
            execution_id = excluded.execution_id, name = excluded.name, is_entity = excluded.is_entity, runtime_status = excluded.runtime_status,
            input = excluded.input, output = excluded.output, custom_status = excluded.custom_status, failure = excluded.failure,
            entity_state = excluded.entity_state, created_at = excluded.created_at, last_updated_at = excluded.last_updated_at, completed_at = excluded.completed_at,
            parent_instance_id = excluded.parent_instance_id, parent_task_id = excluded.parent_task_id, history_count = excluded.history_count,
            entity_scheduler = excluded.entity_scheduler
        """;

    private readonly Channel<PendingResult> _activityResults = Channel.CreateUnbounded<PendingResult>(new UnboundedChannelOptions { SingleReader = true });

    public Task<OrchestrationWorkItem> LockNextOrchestrationWorkItemAsync(CancellationToken cancellationToken) => _orchestrations.TakeAsync(cancellationToken);

    public Task<ActivityWorkItem> LockNextActivityWorkItemAsync(CancellationToken cancellationToken) => _activities.TakeAsync(cancellationToken);

    public async Task CompleteOrchestrationWorkItemAsync(OrchestrationWorkItem workItem, OrchestrationCommit commit)
    {
        var now = HostNow();
        var targets = commit.Messages.Select(m => m.InstanceId).Concat(commit.NewInstances.Select(c => c.InstanceId)).Concat(commit.NewInstances.Select(c => c.ParentInstanceId ?? workItem.InstanceId));
        var changed = new List<string> { workItem.InstanceId };
        changed.AddRange(commit.NewInstances.Select(c => c.InstanceId));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();

        // Ends the step's lease and drops the instance's queue row when nothing is left for it.
        void AddRelease(NpgsqlBatch batch, bool sends)
        {
            batch.BatchCommands.Add(Release(workItem.InstanceId, backoff: false, (sends ? "o" : string.Empty) + (commit.NewTasks.Count > 0 ? "a" : string.Empty), changed.Skip(1)));
            batch.BatchCommands.Add(Cmd(DropIdleQueueRowSql, workItem.InstanceId));
        }

        try
        {
            await InTransactionAsync(
                async (connection, tx) =>
                {
                    // Without new instances (whose creation reads first) the whole step is one statement batch: the
                    // row locks, every write and the release. The lease is checked on the locks' result before the
                    // transaction commits; on a lost lease it rolls back.
                    var oneBatch = commit.NewInstances.Count == 0;
                    await using var batch = new NpgsqlBatch(connection, tx);
                    if (oneBatch)
                    {
                        batch.BatchCommands.Add(LockQueueRows(targets.Append(workItem.InstanceId)));
                    }
                    else
                    {
                        await LockOwnRowAsync(connection, tx, workItem.InstanceId, workItem.LockToken, targets).ConfigureAwait(false);
                    }

                    var record = commit.Instance;
                    if (commit.DeleteInstance)
                    {
                        batch.BatchCommands.Add(Cmd("DELETE FROM instances WHERE instance_id = $1", workItem.InstanceId));
                        batch.BatchCommands.Add(Cmd("DELETE FROM history WHERE instance_id = $1", workItem.InstanceId));
                    }
                    else if (record is not null)
                    {
                        batch.BatchCommands.Add(UpsertInstance(record));
                        var first = record.HistoryCount - commit.NewHistory.Count;
                        if (commit.ReplaceHistory)
                        {
                            batch.BatchCommands.Add(Cmd("DELETE FROM history WHERE instance_id = $1", workItem.InstanceId));
                            first = 0;
                        }

                        if (commit.NewHistory.Count > 0)
                        {
                            batch.BatchCommands.Add(Cmd(
                                "INSERT INTO history (instance_id, seq, event) SELECT $1, s, e FROM unnest($2::integer[], $3::bytea[]) AS u(s, e)",
                                record.InstanceId,
                                Enumerable.Range(first, commit.NewHistory.Count).ToArray(),
                                commit.NewHistory.Select(HistoryEvents.Encode).ToArray()));
                        }
                    }

                    var consumed = commit.ConsumedMessageIds.ToArray();
                    batch.BatchCommands.Add(Cmd("DELETE FROM messages WHERE id = ANY($1)", consumed));

                    // Delivered but left in the queue (non-control messages behind a suspend): this delivery does not count.
                    var untouched = workItem.Messages.Select(m => m.Id).Except(consumed).ToArray();
                    if (untouched.Length > 0)
                    {
                        batch.BatchCommands.Add(Cmd("UPDATE messages SET dequeue_count = GREATEST(dequeue_count - 1, 0) WHERE id = ANY($1)", untouched));
                    }

                    if (commit.NewTasks.Count > 0)
                    {
                        batch.BatchCommands.Add(InsertTasks(commit.NewTasks, now));
                    }

                    if (oneBatch)
                    {
                        if (commit.Messages.Count > 0)
                        {
                            batch.BatchCommands.Add(Enqueue(commit.Messages));
                        }

                        AddRelease(batch, commit.Messages.Count > 0);
                        await ExecuteUnderLeaseAsync(batch, workItem.InstanceId, workItem.LockToken).ConfigureAwait(false);
                        return 0;
                    }

                    await batch.ExecuteNonQueryAsync().ConfigureAwait(false);

                    var outgoing = new List<OutgoingMessage>(commit.Messages);
                    foreach (var child in commit.NewInstances)
                    {
                        var conflict = await TryCreateInstanceAsync(connection, tx, child, replaceTerminal: true, now).ConfigureAwait(false);
                        if (conflict is null)
                        {
                            outgoing.Add(new OutgoingMessage(child.InstanceId, child.StartMessage, child.VisibleAt));
                        }
                        else if (child.ParentInstanceId is { } parent)
                        {
                            // A sub-orchestration id that is already running: the parent's task fails instead.
                            var failed = HistoryEvents.SubOrchestrationFailed(child.ParentTaskId, HistoryEvents.Failure(typeof(OrchestrationAlreadyExistsException).FullName!, conflict), now);
                            outgoing.Add(new OutgoingMessage(parent, failed, now, child.StartMessage.ExecutionStarted?.ParentInstance?.OrchestrationInstance?.ExecutionId));
                        }
                        else
                        {
                            // Started by an entity (which gets no reply): the refused start is kept as a dead letter with the reason.
                            await using var refused = new NpgsqlCommand(
                                "INSERT INTO dead_letters (kind, instance_id, payload, reason, dequeue_count, dead_lettered_at) VALUES ('start', $1, $2, $3, 0, $4)",
                                connection,
                                tx)
                            {
                                Parameters = { new() { Value = child.InstanceId }, new() { Value = JsonFormatter.Default.Format(child.StartMessage) }, new() { Value = StoreRows.StartRefused(workItem.InstanceId, conflict) }, new() { Value = now } },
                            };
                            await refused.ExecuteNonQueryAsync().ConfigureAwait(false);
                        }
                    }

                    await using var finish = new NpgsqlBatch(connection, tx);
                    if (outgoing.Count > 0)
                    {
                        finish.BatchCommands.Add(Enqueue(outgoing));
                    }

                    AddRelease(finish, outgoing.Count > 0);
                    await finish.ExecuteNonQueryAsync().ConfigureAwait(false);
                    return 0;
                },
                CancellationToken.None).ConfigureAwait(false);
            DurableTaskTelemetry.Committed("postgresql", 1, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
        finally
        {
            _held.TryRemove(workItem.LockToken, out _);
            _lost.TryRemove(workItem.LockToken, out _);
        }

        commit.ReachCommittedBeforeDelivery(workItem);

        // This host's own loops do not wait for the notification to come back (it ignores its own): new work, and
        // messages that reached the instance while this step ran, are looked for now.
        _orchestrations.Pulse();

        if (commit.NewTasks.Count > 0)
        {
            _activities.Pulse();
        }

        _watchers.Wake(changed);
    }

    public async Task DeferOrchestrationWorkItemAsync(OrchestrationWorkItem workItem, TimeSpan delay) =>
        await ReleaseOrQueueAsync(UncountedLease(workItem) with { DeferFor = delay }).ConfigureAwait(false);

    public async Task AbandonOrchestrationWorkItemAsync(OrchestrationWorkItem workItem, bool storeFault = false) =>
        await ReleaseOrQueueAsync(storeFault ? UncountedLease(workItem) : new Lease(false, workItem.InstanceId, 0, workItem.LockToken)).ConfigureAwait(false);

    /// <summary>The lease of a step that failed for the store's sake: given back without a backoff, and its messages' delivery uncounted.</summary>
    private static Lease UncountedLease(OrchestrationWorkItem workItem) =>
        new(false, workItem.InstanceId, 0, workItem.LockToken) { Uncounted = true, MessageIds = workItem.Messages.Select(m => m.Id).ToArray() };

    public async Task DeadLetterOrchestrationWorkItemAsync(OrchestrationWorkItem workItem, string reason, IReadOnlyList<OutgoingMessage>? replies = null)
    {
        var now = HostNow();
        try
        {
            await InTransactionAsync(
                async (connection, tx) =>
                {
                    await LockOwnRowAsync(connection, tx, workItem.InstanceId, workItem.LockToken, []).ConfigureAwait(false);
                    await using (var batch = new NpgsqlBatch(connection, tx))
                    {
                        batch.BatchCommands.Add(Cmd(
                            "INSERT INTO dead_letters (kind, instance_id, payload, reason, dequeue_count, dead_lettered_at) SELECT 'message', $1, p, $2, d, $3 FROM unnest($4::text[], $5::integer[]) AS u(p, d)",
                            workItem.InstanceId, reason, now, workItem.Messages.Select(m => JsonFormatter.Default.Format(m.Event)).ToArray(), workItem.Messages.Select(m => m.DequeueCount).ToArray()));
                        batch.BatchCommands.Add(Cmd("DELETE FROM messages WHERE id = ANY($1)", workItem.Messages.Select(m => m.Id).ToArray()));
                        if (replies is { Count: > 0 })
                        {
                            batch.BatchCommands.Add(Enqueue(replies));
                            batch.BatchCommands.Add(Cmd("SELECT pg_notify($1, $3 || '|' || array_to_string($2::text[], chr(31)))", _channel, replies.Select(r => r.InstanceId).Distinct().ToArray(), Flags("o")));
                        }

                        await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
                    }

                    await FailInstanceAsync(connection, tx, workItem.InstanceId, reason, now).ConfigureAwait(false);
                    await using var release = new NpgsqlBatch(connection, tx) { BatchCommands = { Release(workItem.InstanceId, backoff: false, string.Empty, []) } };
                    await release.ExecuteNonQueryAsync().ConfigureAwait(false);
                    return 0;
                },
                CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _held.TryRemove(workItem.LockToken, out _);
        }

        _orchestrations.Pulse();
        _watchers.Wake(workItem.InstanceId);
    }

    public Task CompleteActivityWorkItemAsync(ActivityWorkItem workItem, P.HistoryEvent result)
    {
        // Results are committed in groups by one loop: many activities' results share a transaction.
        var pending = new PendingResult(workItem, result);
        if (!_activityResults.Writer.TryWrite(pending))
        {
            return Task.FromException(new ObjectDisposedException(nameof(PostgresOrchestrationStore), "The store is shutting down."));
        }

        return pending.Completion.Task;
    }

    public async Task AbandonActivityWorkItemAsync(ActivityWorkItem workItem) =>
        await ReleaseOrQueueAsync(new Lease(true, workItem.Task.InstanceId, workItem.Task.Id, workItem.LockToken)).ConfigureAwait(false);

    public async Task DeadLetterActivityWorkItemAsync(ActivityWorkItem workItem, string reason)
    {
        var now = HostNow();
        try
        {
            await InTransactionAsync(
                async (connection, tx) =>
                {
                    await using (var delete = new NpgsqlCommand("DELETE FROM tasks WHERE id = $1 AND lock_token = $2", connection, tx) { Parameters = { new() { Value = workItem.Task.Id }, new() { Value = workItem.LockToken } } })
                    {
                        if (await delete.ExecuteNonQueryAsync().ConfigureAwait(false) == 0)
                        {
                            throw new LeaseLostException(workItem.Task.InstanceId);
                        }
                    }

                    await using (var insert = new NpgsqlBatch(connection, tx))
                    {
                        insert.BatchCommands.Add(Cmd(
                            "INSERT INTO dead_letters (kind, instance_id, payload, reason, dequeue_count, dead_lettered_at) VALUES ('activity', $1, $2, $3, $4, $5)",
                            workItem.Task.InstanceId, JsonSerializer.Serialize(workItem.Task, SqliteOrchestrationStore.Json), reason, workItem.Task.DequeueCount, now));
                        insert.BatchCommands.Add(Cmd("SELECT pg_notify($1, '|' || $2)", _channel, workItem.Task.InstanceId));
                        await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
                    }

                    await FailInstanceAsync(connection, tx, workItem.Task.InstanceId, reason, now).ConfigureAwait(false);
                    return 0;
                },
                CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _held.TryRemove(workItem.LockToken, out _);
        }

        _orchestrations.Pulse();
        _watchers.Wake(workItem.Task.InstanceId);
    }

    public bool RenewActivityLease(ActivityWorkItem workItem)
    {
        // The lease maintenance loop extends the leases asked for here, many in one statement.
        if (_lost.ContainsKey(workItem.LockToken) || !_held.TryGetValue(workItem.LockToken, out var lease))
        {
            return false;
        }

        Interlocked.Exchange(ref lease.RenewRequested, 1);
        return true;
    }

    private static NpgsqlBatchCommand Cmd(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }

    private static DateTime Utc(DateTime time) => DateTime.SpecifyKind(time, DateTimeKind.Utc);

    private static NpgsqlBatchCommand UpsertInstance(InstanceRecord r)
    {
        var command = Cmd(
            UpsertInstanceSql,
            r.InstanceId, r.ExecutionId, r.Name, r.IsEntity, (int)r.Status, r.Input, r.Output, r.CustomStatus,
            r.Failure is null ? null : JsonSerializer.Serialize(r.Failure, SqliteOrchestrationStore.Json),
            r.EntityState, Utc(r.CreatedAt), Utc(r.LastUpdatedAt), r.CompletedAt is { } d ? Utc(d) : null, r.ParentInstanceId, r.ParentTaskId, r.HistoryCount, r.EntityScheduler);

        // Typed, so that null values are understood.
        command.Parameters[12].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz;
        foreach (var i in new[] { 5, 6, 7, 8, 9, 13 })
        {
            command.Parameters[i].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text;
        }

        return command;
    }

    /// <summary>How long until the table's next delayed item is due or its next lease expires, by the database's clock (null: nothing waits).</summary>
    private static string NextDueSql(string table) =>
        $"SELECT LEAST((SELECT MIN(ready_at) FROM {table} WHERE ready_at > c.now), (SELECT MIN(locked_until) FROM {table} WHERE lock_token IS NOT NULL AND locked_until >= c.now)) - c.now FROM (SELECT clock_timestamp() AS now) c";

    private static NpgsqlBatchCommand InsertTasks(IReadOnlyList<ActivityTask> tasks, DateTime now) => Cmd(
        "INSERT INTO tasks (instance_id, execution_id, task_id, name, input, created_at, ready_at, trace_parent) SELECT i, x, t, n, inp, $6, now(), tp FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[], $7::text[]) AS u(i, x, t, n, inp, tp)",
        tasks.Select(t => t.InstanceId).ToArray(),
        tasks.Select(t => t.ExecutionId).ToArray(),
        tasks.Select(t => t.TaskId).ToArray(),
        tasks.Select(t => t.Name).ToArray(),
        tasks.Select(t => t.Input).ToArray(),
        now,
        tasks.Select(t => t.TraceParent).ToArray());

    private NpgsqlBatchCommand Enqueue(IReadOnlyList<OutgoingMessage> messages) => Cmd(
        EnqueueSql,
        messages.Select(m => m.InstanceId).ToArray(),
        messages.Select(m => RoundUp(m.VisibleAt)).ToArray(),
        messages.Select(m => m.Event.EventTypeCase is P.HistoryEvent.EventTypeOneofCase.ExecutionTerminated or P.HistoryEvent.EventTypeOneofCase.ExecutionSuspended or P.HistoryEvent.EventTypeOneofCase.ExecutionResumed).ToArray(),
        messages.Select(m => HistoryEvents.Encode(m.Event)).ToArray(),
        messages.Select(m => m.TargetExecutionId).ToArray(),
        HostNow());

    private NpgsqlBatchCommand Release(string instanceId, bool backoff, string flags, IEnumerable<string> alsoChanged, TimeSpan? deferFor = null)
    {
        // A notification carries at most 8000 bytes: a step that changed many instances asks every host to re-read instead.
        var ids = NotifyIds(alsoChanged.Prepend(instanceId).ToList());
        var self = Flags(string.Empty);
        return ids == "*"
            ? Cmd(ReleaseInstanceSql, instanceId, backoff, _channel, flags + "*", string.Empty, deferFor, self)
            : Cmd(ReleaseInstanceSql, instanceId, backoff, _channel, flags, ids[1..], deferFor, self);
    }

    /// <summary>Locks the instance's queue row and the rows of the instances it sends to (in order); throws <see cref="LeaseLostException"/> unless the lease is still this one.</summary>
    private static async Task LockOwnRowAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string instanceId, long lockToken, IEnumerable<string> targets)
    {
        await using var batch = new NpgsqlBatch(connection, tx) { BatchCommands = { LockQueueRows(targets.Append(instanceId)) } };
        await ExecuteUnderLeaseAsync(batch, instanceId, lockToken).ConfigureAwait(false);
    }

    /// <summary>Locks the queue rows of the given instances, in one global order (so two writers never deadlock); returns each row's lock token.</summary>
    private static NpgsqlBatchCommand LockQueueRows(IEnumerable<string> instanceIds) => Cmd(LockQueueRowsSql, (object)instanceIds.Distinct(StringComparer.Ordinal).ToArray());

    /// <summary>
    /// Runs a batch whose first command is <see cref="LockQueueRows"/>; throws <see cref="LeaseLostException"/> unless the
    /// instance's lease is still <paramref name="lockToken"/> — checked before any later command's error is read, so a
    /// step whose lease passed to another host reports the lost lease, and its transaction rolls back.
    /// </summary>
    private static async Task ExecuteUnderLeaseAsync(NpgsqlBatch batch, string instanceId, long lockToken)
    {
        long? token = null;
        var lost = false;
        var reader = await batch.ExecuteReaderAsync().ConfigureAwait(false);
        try
        {
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                if (reader.GetString(0) == instanceId)
                {
                    token = reader.IsDBNull(1) ? null : reader.GetInt64(1);
                }
            }

            lost = token != lockToken;
            while (!lost && await reader.NextResultAsync().ConfigureAwait(false))
            {
                // Each later command's result (and error) is read here.
            }
        }
        finally
        {
            try
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }
            catch (PostgresException) when (lost)
            {
                // A later command failed on rows another host changed: the lost lease is the answer.
            }
        }

        if (lost)
        {
            throw new LeaseLostException(instanceId);
        }
    }

    /// <summary>Creates or resets an instance row. Returns the conflict when an unfinished instance with that id exists.</summary>
    private static async Task<string?> TryCreateInstanceAsync(NpgsqlConnection connection, NpgsqlTransaction tx, NewInstance instance, bool replaceTerminal, DateTime now)
    {
        await using (var check = new NpgsqlCommand("SELECT runtime_status FROM instances WHERE instance_id = $1 FOR UPDATE", connection, tx) { Parameters = { new() { Value = instance.InstanceId } } })
        {
            if (await check.ExecuteScalarAsync().ConfigureAwait(false) is int existing)
            {
                var status = (OrchestrationRuntimeStatus)existing;
                if (!status.IsTerminal() || !replaceTerminal)
                {
                    return $"An orchestration with instance id '{instance.InstanceId}' already exists and is {status}.";
                }
            }
        }

        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                Cmd("DELETE FROM history WHERE instance_id = $1", instance.InstanceId),
                UpsertInstance(StoreRows.Pending(instance, now)),
            },
        };
        await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
        return null;
    }

    /// <summary>Marks the instance failed; when that fails a sub-orchestration, tells its parent.</summary>
    private async Task FailInstanceAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string instanceId, string reason, DateTime now)
    {
        var details = new TaskFailureDetails(StoreRows.PoisonMessageFailureType, reason, null, null, null);
        string? parent = null;
        var parentTaskId = -1;
        await using (var fail = new NpgsqlCommand(
            "UPDATE instances SET runtime_status = 3, failure = $1, last_updated_at = $2, completed_at = $2 WHERE instance_id = $3 AND NOT is_entity AND runtime_status NOT IN (1, 3, 5) RETURNING parent_instance_id, parent_task_id",
            connection,
            tx)
        {
            Parameters = { new() { Value = JsonSerializer.Serialize(details, SqliteOrchestrationStore.Json) }, new() { Value = now }, new() { Value = instanceId } },
        })
        await using (var reader = await fail.ExecuteReaderAsync().ConfigureAwait(false))
        {
            if (await reader.ReadAsync().ConfigureAwait(false) && !reader.IsDBNull(0))
            {
                parent = reader.GetString(0);
                parentTaskId = reader.GetInt32(1);
            }
        }

        // Without this message a parent waiting for a dead-lettered sub-orchestration would wait forever.
        if (parent is not null)
        {
            await using var notice = new NpgsqlBatch(connection, tx)
            {
                BatchCommands =
                {
                    Enqueue([new OutgoingMessage(parent, HistoryEvents.SubOrchestrationFailed(parentTaskId, HistoryEvents.ToProto(details), now), now)]),
                    Cmd("SELECT pg_notify($1, $3 || '|' || $2)", _channel, parent, Flags("o")),
                },
            };
            await notice.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Leases up to <paramref name="take"/> instances with deliverable messages; also reads when the next one is due.</summary>
    private async Task<(IReadOnlyList<OrchestrationWorkItem> Items, TimeSpan? NextDueIn)> LeaseOrchestrationsAsync(int take, CancellationToken cancellationToken)
    {
        var now = HostNow();
        var leased = new Dictionary<string, long>(StringComparer.Ordinal);
        TimeSpan? nextDue;
        await using var connection = await OpenAsync(cancellationToken, _leaseSource).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Cmd(LeaseInstancesSql, take, _lease, _owner),
                // How long until the next due time: a delayed message, or a lease that expires (its work is offered again then).
                Cmd(NextDueSql("instance_queue")),
            },
        })
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                leased[reader.GetString(0)] = reader.GetInt64(1);
                _held[reader.GetInt64(1)] = new Lease(false, reader.GetString(0), 0, reader.GetInt64(1));
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            nextDue = reader.IsDBNull(0) ? null : reader.GetTimeSpan(0);
        }

        if (leased.Count == 0)
        {
            return ([], nextDue);
        }

        var messages = new Dictionary<string, List<InstanceMessage>>(StringComparer.Ordinal);
        var instances = new Dictionary<string, InstanceRecord>(StringComparer.Ordinal);
        var corrupt = new List<(long Id, string InstanceId, string Payload, string Reason)>();
        try
        {
            var ids = leased.Keys.ToArray();
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    // This delivery counts now: work that crashes the host is dead-lettered after a few deliveries, not retried forever.
                    Cmd($"UPDATE messages m SET dequeue_count = m.dequeue_count + 1 WHERE m.instance_id = ANY($1) AND m.visible_at <= {DbNow} AND {Deliverable} RETURNING m.id, m.instance_id, m.visible_at, m.dequeue_count - 1, m.event, m.target_execution", (object)ids),
                    Cmd($"SELECT {InstanceColumns} FROM instances WHERE instance_id = ANY($1)", (object)ids),
                },
            };
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var (id, instanceId, payload) = (reader.GetInt64(0), reader.GetString(1), (byte[])reader.GetValue(4));
                try
                {
                    var message = new InstanceMessage(id, instanceId, reader.GetDateTime(2), HistoryEvents.Decode(payload), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt32(3));
                    (messages.TryGetValue(instanceId, out var list) ? list : messages[instanceId] = []).Add(message);
                }
                catch (Exception ex) when (ex is JsonException or InvalidDataException or NotSupportedException)
                {
                    corrupt.Add((id, instanceId, Convert.ToBase64String(payload), $"The stored message could not be read: {ex.Message}"));
                }
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var record = ReadInstance(reader);
                instances[record.InstanceId] = record;
            }
        }
        catch (Exception ex)
        {
            foreach (var (id, token) in leased)
            {
                _held.TryRemove(token, out _);
                _releaseLater.Enqueue(new Lease(false, id, 0, token) { Uncounted = IsUnavailable(ex) });
            }

            throw;
        }

        if (corrupt.Count > 0)
        {
            // Unreadable messages are kept in the dead-letter table, never dropped and never retried forever.
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    Cmd(
                        "INSERT INTO dead_letters (kind, instance_id, payload, reason, dequeue_count, dead_lettered_at) SELECT 'message', i, p, r, 0, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS u(i, p, r)",
                        corrupt.Select(c => c.InstanceId).ToArray(), corrupt.Select(c => c.Payload).ToArray(), corrupt.Select(c => c.Reason).ToArray(), now),
                    Cmd("DELETE FROM messages WHERE id = ANY($1)", corrupt.Select(c => c.Id).ToArray()),
                },
            };
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var items = new List<OrchestrationWorkItem>(leased.Count);
        var idle = new List<Lease>();
        foreach (var (instanceId, token) in leased)
        {
            if (!messages.TryGetValue(instanceId, out var list))
            {
                // Nothing deliverable after all (suspended, or the messages were purged): give the lease back.
                _held.TryRemove(token, out _);
                idle.Add(new Lease(false, instanceId, 0, token));
                continue;
            }

            list.Sort((a, b) => a.Id.CompareTo(b.Id));
            items.Add(new OrchestrationWorkItem { InstanceId = instanceId, LockToken = token, Instance = instances.GetValueOrDefault(instanceId), Messages = list });
        }

        if (idle.Count > 0)
        {
            await ReleaseAsync(idle, countDelivery: false, cancellationToken).ConfigureAwait(false);
        }

        return (items, nextDue);
    }

    /// <summary>Leases up to <paramref name="take"/> activities; also reads when the next delayed one is due.</summary>
    private async Task<(IReadOnlyList<ActivityWorkItem> Items, TimeSpan? NextDueIn)> LeaseActivitiesAsync(int take, CancellationToken cancellationToken)
    {
        var items = new List<ActivityWorkItem>();
        await using var connection = await OpenAsync(cancellationToken, _leaseSource).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Cmd(LeaseTasksSql, take, _lease, _owner),
                Cmd(NextDueSql("tasks")),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var task = new ActivityTask(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt32(6), reader.IsDBNull(8) ? null : reader.GetString(8));
            var token = reader.GetInt64(7);
            _held[token] = new Lease(true, task.InstanceId, task.Id, token);
            items.Add(new ActivityWorkItem { Task = task, LockToken = token });
        }

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (items, reader.IsDBNull(0) ? null : reader.GetTimeSpan(0));
    }

    /// <summary>Gives a lease back (its delivery counts, and a retry waits a backoff, unless the lease says otherwise); while the database is away, later.</summary>
    private async Task ReleaseOrQueueAsync(Lease lease)
    {
        _held.TryRemove(lease.Token, out _);
        _lost.TryRemove(lease.Token, out _);
        try
        {
            await ReleaseAsync([lease], countDelivery: true, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            _releaseLater.Enqueue(lease);
        }
    }

    /// <summary>
    /// Ends leases this host holds (skipping any another host has taken since). A delivery counts when
    /// <paramref name="countDelivery"/> and the lease is not <see cref="Lease.Uncounted"/>; the messages of an uncounted
    /// instance lease are uncounted even when the lease has passed to another host meanwhile (an outage longer than the
    /// lease): that delivery failed for the store's sake too.
    /// </summary>
    private async Task ReleaseAsync(IReadOnlyList<Lease> leases, bool countDelivery, CancellationToken cancellationToken)
    {
        var instances = leases.Where(l => !l.Activity).ToList();
        var activities = leases.Where(l => l.Activity).ToList();
        // Not OpenAsync: this also runs while the store shuts down.
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (activities.Count > 0)
        {
            await using var command = new NpgsqlCommand(
                """
                UPDATE tasks t SET lock_token = NULL, lock_owner = NULL, locked_until = '-infinity',
                    ready_at = CASE WHEN u.counted THEN clock_timestamp() + LEAST(interval '10 seconds', interval '100 milliseconds' * power(2, GREATEST(t.dequeue_count, 1) - 1)) ELSE t.ready_at END,
                    dequeue_count = CASE WHEN u.counted THEN t.dequeue_count ELSE GREATEST(t.dequeue_count - 1, 0) END
                FROM unnest($1::bigint[], $2::bigint[], $3::boolean[]) AS u(id, token, counted) WHERE t.id = u.id AND t.lock_token = u.token
                """,
                connection)
            {
                Parameters = { new() { Value = activities.Select(a => a.TaskId).ToArray() }, new() { Value = activities.Select(a => a.Token).ToArray() }, new() { Value = activities.Select(a => countDelivery && !a.Uncounted).ToArray() } },
            };
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await using var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection) { Parameters = { new() { Value = _channel }, new() { Value = Flags("a") } } };
            await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            _activities.Pulse();
        }

        if (instances.Count > 0)
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var current = new Dictionary<string, long?>(StringComparer.Ordinal);
            await using (var lockRows = new NpgsqlCommand(LockQueueRowsSql, connection, tx) { Parameters = { new() { Value = instances.Select(l => l.InstanceId).Distinct(StringComparer.Ordinal).ToArray() } } })
            await using (var reader = await lockRows.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    current[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetInt64(1);
                }
            }

            await using var batch = new NpgsqlBatch(connection, tx);
            foreach (var lease in instances.Where(l => current.GetValueOrDefault(l.InstanceId) == l.Token))
            {
                batch.BatchCommands.Add(Release(lease.InstanceId, countDelivery && !lease.Uncounted, string.Empty, [], lease.DeferFor));
            }

            if (instances.Where(l => l.Uncounted).SelectMany(l => l.MessageIds).ToArray() is { Length: > 0 } uncount)
            {
                batch.BatchCommands.Add(Cmd("UPDATE messages SET dequeue_count = GREATEST(dequeue_count - 1, 0) WHERE id = ANY($1)", (object)uncount));
            }

            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            _orchestrations.Pulse();
        }
    }

    /// <summary>Commits activity results in groups: one transaction deletes the activities still leased by this host and queues their results.</summary>
    private async Task CommitActivityResultsAsync(CancellationToken stop)
    {
        var reader = _activityResults.Reader;
        var group = new List<PendingResult>();
        while (await NextGroupAsync(reader, group, 256).ConfigureAwait(false))
        {
            try
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var committed = await InTransactionAsync((connection, tx) => CommitResultsAsync(connection, tx, group), CancellationToken.None, _leaseSource).ConfigureAwait(false);
                DurableTaskTelemetry.Committed("postgresql", group.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started));
                foreach (var pending in group)
                {
                    _held.TryRemove(pending.WorkItem.LockToken, out _);
                    if (committed.Contains(pending.WorkItem.Task.Id))
                    {
                        pending.Completion.TrySetResult();
                    }
                    else
                    {
                        pending.Completion.TrySetException(new LeaseLostException(pending.WorkItem.Task.InstanceId));
                    }
                }

                _orchestrations.Pulse();
            }
            catch (Exception ex)
            {
                foreach (var pending in group)
                {
                    pending.Completion.TrySetException(ex);
                }
            }

            group.Clear();
            if (stop.IsCancellationRequested && !reader.TryPeek(out _))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Waits for the next group of a group-commit loop: everything queued meanwhile, at most <paramref name="max"/>, added
    /// to <paramref name="group"/>. False once the queue is closed and empty.
    /// </summary>
    private static async Task<bool> NextGroupAsync<T>(ChannelReader<T> reader, List<T> group, int max)
    {
        try
        {
            if (!await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                return false;
            }
        }
        catch (ChannelClosedException)
        {
            return false;
        }

        while (group.Count < max && reader.TryRead(out var item))
        {
            group.Add(item);
        }

        return true;
    }

    private async Task<HashSet<long>> CommitResultsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<PendingResult> group)
    {
        // One statement batch: lock the instances' queue rows (in order), delete the activities still leased by this
        // host and queue the results of exactly those, then the wake-up.
        var committed = new HashSet<long>();
        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                LockQueueRows(group.Select(p => p.WorkItem.Task.InstanceId)),
                Cmd(
                    CommitResultsSql,
                    group.Select(p => p.WorkItem.Task.Id).ToArray(),
                    group.Select(p => p.WorkItem.LockToken).ToArray(),
                    group.Select(p => p.WorkItem.Task.InstanceId).ToArray(),
                    group.Select(p => HistoryEvents.Encode(p.Result)).ToArray(),
                    group.Select(p => p.WorkItem.Task.ExecutionId).ToArray()),
                Cmd("SELECT pg_notify($1, $2)", _channel, Flags("o")),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync().ConfigureAwait(false);
        await reader.NextResultAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            committed.Add(reader.GetInt64(0));
        }

        return committed;
    }

    private sealed class PendingResult(ActivityWorkItem workItem, P.HistoryEvent result)
    {
        public ActivityWorkItem WorkItem => workItem;

        public P.HistoryEvent Result => result;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
