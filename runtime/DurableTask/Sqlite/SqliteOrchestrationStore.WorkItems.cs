using System.Text.Json;
using Google.Protobuf;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Serverless.DurableTask.Engine;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.DurableTask.Sqlite;

/// <content>Leasing and committing orchestration, entity and activity work.</content>
internal sealed partial class SqliteOrchestrationStore
{
    private const string InsertMessageSql = "INSERT INTO Messages (id, instance_id, visible_at, dequeue_count, event, target_execution) VALUES ($id, $i, $v, 0, $e, $x)";
    private const string InsertTaskSql = "INSERT INTO Tasks (id, instance_id, execution_id, task_id, name, input, dequeue_count, created_at, trace_parent) VALUES ($id, $i, $x, $t, $n, $in, 0, $c, $tp)";
    private const string UpsertInstanceSql = """
        INSERT INTO Instances (instance_id, execution_id, name, is_entity, runtime_status, input, output, custom_status, failure, entity_state,
                               created_at, last_updated_at, completed_at, parent_instance_id, parent_task_id, history_count, entity_scheduler)
        VALUES ($id, $x, $n, $ent, $s, $in, $out, $cs, $f, $es, $c, $u, $done, $p, $pt, $h, $sch)
        ON CONFLICT (instance_id) DO UPDATE SET
            execution_id = excluded.execution_id, name = excluded.name, is_entity = excluded.is_entity, runtime_status = excluded.runtime_status,
            input = excluded.input, output = excluded.output, custom_status = excluded.custom_status, failure = excluded.failure,
            entity_state = excluded.entity_state, created_at = excluded.created_at, last_updated_at = excluded.last_updated_at, completed_at = excluded.completed_at,
            parent_instance_id = excluded.parent_instance_id, parent_task_id = excluded.parent_task_id, history_count = excluded.history_count,
            entity_scheduler = excluded.entity_scheduler
        """;

    public async Task<OrchestrationWorkItem> LockNextOrchestrationWorkItemAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var instanceId = await _readyInstances.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            List<InstanceMessage> messages;
            List<long>? recovered = null;
            long token;
            lock (_gate)
            {
                if (!_queues.TryGetValue(instanceId, out var q))
                {
                    continue;
                }

                q.Ready = false;
                var now = Now;
                messages = q.LockToken == 0 && q.NotBefore <= now
                    ? q.Messages.Where(m => m.VisibleAt <= now && (!q.Suspended || m.IsControl)).ToList()
                    : [];
                if (messages.Count == 0)
                {
                    Evaluate(instanceId, q, now);
                    continue;
                }

                token = ++_nextLockToken;
                q.LockToken = token;
                q.LockUntil = Ticks + (long)_lease.TotalMilliseconds;
                q.Delivered = messages.Select(m => m.Id).ToHashSet();
                if (q.Recovered is { Count: > 0 } r)
                {
                    recovered = messages.Where(m => r.Contains(m.Id)).Select(m => m.Id).ToList();
                }
            }

            if (recovered is { Count: > 0 })
            {
                // These messages were pending when a previous process stopped, maybe while running them: count this
                // delivery durably first, so work that crashes the process is dead-lettered instead of looping forever.
                try
                {
                    await WriteAsync(ctx =>
                    {
                        foreach (var id in recovered)
                        {
                            ctx.Exec("UPDATE Messages SET dequeue_count = dequeue_count + 1 WHERE id = $id", ("$id", id));
                        }

                        return 0;
                    }).ConfigureAwait(false);
                }
                catch (StoreUnavailableException)
                {
                    lock (_gate)
                    {
                        if (_queues.TryGetValue(instanceId, out var q) && q.LockToken == token)
                        {
                            q.StoreFaulted = true;
                            ReleaseInstance(instanceId, q, countDelivery: false, Now);
                        }
                    }

                    throw;
                }
            }

            InstanceRecord? instance;
            try
            {
                instance = await GetInstanceAsync(instanceId, CancellationToken.None).ConfigureAwait(false);
            }
            catch
            {
                lock (_gate)
                {
                    if (_queues.TryGetValue(instanceId, out var q) && q.LockToken == token)
                    {
                        ReleaseInstance(instanceId, q, countDelivery: true, Now);
                    }
                }

                throw;
            }

            return new OrchestrationWorkItem { InstanceId = instanceId, LockToken = token, Instance = instance, Messages = messages };
        }
    }

    public Task CompleteOrchestrationWorkItemAsync(OrchestrationWorkItem workItem, OrchestrationCommit commit)
    {
        var createdMessages = new List<InstanceMessage>();
        var createdTasks = new List<ActivityTask>();
        var now = Now;
        return WriteAsync(
            ctx =>
            {
                var record = commit.Instance;
                if (commit.DeleteInstance)
                {
                    ctx.Exec("DELETE FROM Instances WHERE instance_id = $id", ("$id", workItem.InstanceId));
                    ctx.Exec("DELETE FROM History WHERE instance_id = $id", ("$id", workItem.InstanceId));
                }
                else if (record is not null)
                {
                    UpsertInstance(ctx, record);
                    var first = record.HistoryCount - commit.NewHistory.Count;
                    if (commit.ReplaceHistory)
                    {
                        ctx.Exec("DELETE FROM History WHERE instance_id = $id", ("$id", workItem.InstanceId));
                        first = 0;
                    }

                    for (var i = 0; i < commit.NewHistory.Count; i++)
                    {
                        ctx.Exec("INSERT INTO History (instance_id, seq, event) VALUES ($id, $s, $e)", ("$id", record.InstanceId), ("$s", first + i), ("$e", HistoryEvents.Encode(commit.NewHistory[i])));
                    }
                }

                foreach (var id in commit.ConsumedMessageIds)
                {
                    ctx.Exec("DELETE FROM Messages WHERE id = $id", ("$id", id));
                }

                foreach (var task in commit.NewTasks)
                {
                    var stored = task with { Id = ++_nextTaskId };
                    ctx.Exec(InsertTaskSql, ("$id", stored.Id), ("$i", stored.InstanceId), ("$x", stored.ExecutionId), ("$t", stored.TaskId), ("$n", stored.Name), ("$in", stored.Input), ("$c", ToMs(now)), ("$tp", stored.TraceParent));
                    createdTasks.Add(stored);
                }

                foreach (var child in commit.NewInstances)
                {
                    if (!TryCreateInstance(ctx, child, replaceTerminal: true, now, out var conflict))
                    {
                        // A sub-orchestration id that is already running: the parent's task fails instead.
                        if (child.ParentInstanceId is { } parent)
                        {
                            var failed = HistoryEvents.SubOrchestrationFailed(child.ParentTaskId, HistoryEvents.Failure(typeof(OrchestrationAlreadyExistsException).FullName!, conflict!), now);
                            var parentExecution = child.StartMessage.ExecutionStarted?.ParentInstance?.OrchestrationInstance?.ExecutionId;
                            createdMessages.Add(InsertMessage(ctx, new OutgoingMessage(parent, failed, now, parentExecution)));
                        }
                        else
                        {
                            // Started by an entity (which gets no reply): the refused start is kept as a dead letter with the reason.
                            ctx.Exec(
                                "INSERT INTO DeadLetters (kind, instance_id, payload, reason, dequeue_count, dead_lettered_at) VALUES ('start', $i, $p, $r, 0, $t)",
                                ("$i", child.InstanceId), ("$p", JsonFormatter.Default.Format(child.StartMessage)), ("$r", StoreRows.StartRefused(workItem.InstanceId, conflict!)), ("$t", ToMs(now)));
                        }

                        continue;
                    }

                    createdMessages.Add(InsertMessage(ctx, new OutgoingMessage(child.InstanceId, child.StartMessage, child.VisibleAt)));
                }

                foreach (var message in commit.Messages)
                {
                    createdMessages.Add(InsertMessage(ctx, message));
                }

                return 0;
            },
            validate: () =>
            {
                if (!_queues.TryGetValue(workItem.InstanceId, out var q) || q.LockToken != workItem.LockToken)
                {
                    return false;
                }

                q.Committing = true;
                return true;
            },
            afterCommit: _ =>
            {
                if (CrashPoints.Enabled)
                {
                    commit.ReachCommittedBeforeDelivery(workItem);
                }

                if (_queues.TryGetValue(workItem.InstanceId, out var q))
                {
                    var consumed = commit.ConsumedMessageIds.ToHashSet();
                    q.Messages.RemoveAll(m => consumed.Contains(m.Id));
                    q.Recovered?.ExceptWith(consumed);
                    q.Suspended = commit.Instance?.Status == OrchestrationRuntimeStatus.Suspended;
                    q.LockToken = 0;
                    q.Committing = false;
                    q.Delivered = null;
                    q.NotBefore = default;
                }

                AddTasks(createdTasks);
                AddMessages(createdMessages, now);
                if (_queues.TryGetValue(workItem.InstanceId, out var self))
                {
                    Evaluate(workItem.InstanceId, self, now);
                }

                NotifyWatchers(workItem.InstanceId);
                foreach (var child in commit.NewInstances)
                {
                    NotifyWatchers(child.InstanceId);
                }
            },
            onFailure: () =>
            {
                if (_queues.TryGetValue(workItem.InstanceId, out var q) && q.LockToken == workItem.LockToken)
                {
                    q.Committing = false;
                    q.StoreFaulted = _failingForStore;
                }
            });
    }

    public Task AbandonOrchestrationWorkItemAsync(OrchestrationWorkItem workItem, bool storeFault = false)
    {
        lock (_gate)
        {
            if (_queues.TryGetValue(workItem.InstanceId, out var q) && q.LockToken == workItem.LockToken)
            {
                q.StoreFaulted |= storeFault;
                ReleaseInstance(workItem.InstanceId, q, countDelivery: true, Now);
            }
        }

        return Task.CompletedTask;
    }

    public Task DeferOrchestrationWorkItemAsync(OrchestrationWorkItem workItem, TimeSpan delay)
    {
        lock (_gate)
        {
            if (_queues.TryGetValue(workItem.InstanceId, out var q) && q.LockToken == workItem.LockToken)
            {
                ReleaseInstance(workItem.InstanceId, q, countDelivery: false, Now, deferFor: delay);
            }
        }

        return Task.CompletedTask;
    }

    public Task DeadLetterOrchestrationWorkItemAsync(OrchestrationWorkItem workItem, string reason, IReadOnlyList<OutgoingMessage>? replies = null)
    {
        var now = Now;
        InstanceMessage? parentNotice = null;
        var sent = new List<InstanceMessage>();
        return WriteAsync(
            ctx =>
            {
                sent.Clear();
                sent.AddRange((replies ?? []).Select(reply => InsertMessage(ctx, reply)));
                foreach (var message in workItem.Messages)
                {
                    ctx.Exec(
                        "INSERT INTO DeadLetters (kind, instance_id, payload, reason, dequeue_count, dead_lettered_at) VALUES ('message', $i, $p, $r, $d, $t)",
                        ("$i", workItem.InstanceId), ("$p", JsonFormatter.Default.Format(message.Event)), ("$r", reason), ("$d", message.DequeueCount), ("$t", ToMs(now)));
                    ctx.Exec("DELETE FROM Messages WHERE id = $id", ("$id", message.Id));
                }

                parentNotice = FailInstance(ctx, workItem.InstanceId, reason, now);
                return 0;
            },
            validate: () => _queues.TryGetValue(workItem.InstanceId, out var q) && q.LockToken == workItem.LockToken,
            afterCommit: _ =>
            {
                if (parentNotice is not null)
                {
                    sent.Add(parentNotice);
                }

                if (sent.Count > 0)
                {
                    AddMessages(sent, now);
                }

                if (_queues.TryGetValue(workItem.InstanceId, out var q))
                {
                    var ids = workItem.Messages.Select(m => m.Id).ToHashSet();
                    q.Messages.RemoveAll(m => ids.Contains(m.Id));
                    q.Recovered?.ExceptWith(ids);
                    q.LockToken = 0;
                    q.Delivered = null;
                    Evaluate(workItem.InstanceId, q, now);
                }

                NotifyWatchers(workItem.InstanceId);
            });
    }

    public async Task<ActivityWorkItem> LockNextActivityWorkItemAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var id = await _readyActivities.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ActivityTask task;
            long token;
            bool recovered;
            lock (_gate)
            {
                if (!_activities.TryGetValue(id, out var entry) || entry.LockToken != 0)
                {
                    continue;
                }

                token = ++_nextLockToken;
                entry.LockToken = token;
                entry.LockUntil = Ticks + (long)_lease.TotalMilliseconds;
                task = entry.Task;
                recovered = entry.Recovered;
            }

            if (recovered)
            {
                try
                {
                    await WriteAsync(ctx => ctx.Exec("UPDATE Tasks SET dequeue_count = dequeue_count + 1 WHERE id = $id", ("$id", id))).ConfigureAwait(false);
                }
                catch (StoreUnavailableException)
                {
                    lock (_gate)
                    {
                        if (_activities.TryGetValue(id, out var entry) && entry.LockToken == token)
                        {
                            entry.LockToken = 0;
                            _ = Task.Delay(StoreRetryDelay, _shutdown.Token).ContinueWith(_ => _readyActivities.Writer.TryWrite(id), TaskScheduler.Default);
                        }
                    }

                    throw;
                }
            }

            return new ActivityWorkItem { Task = task, LockToken = token };
        }
    }

    public Task CompleteActivityWorkItemAsync(ActivityWorkItem workItem, P.HistoryEvent result)
    {
        var now = Now;
        InstanceMessage? created = null;
        return WriteAsync(
            ctx =>
            {
                ctx.Exec("DELETE FROM Tasks WHERE id = $id", ("$id", workItem.Task.Id));
                created = InsertMessage(ctx, new OutgoingMessage(workItem.Task.InstanceId, result, now, workItem.Task.ExecutionId));
                return 0;
            },
            validate: () =>
            {
                if (!_activities.TryGetValue(workItem.Task.Id, out var entry) || entry.LockToken != workItem.LockToken)
                {
                    return false;
                }

                entry.Committing = true;
                return true;
            },
            afterCommit: _ =>
            {
                _activities.Remove(workItem.Task.Id);
                AddMessages([created!], now);
            },
            onFailure: () =>
            {
                if (_activities.TryGetValue(workItem.Task.Id, out var entry))
                {
                    entry.Committing = false;
                }
            });
    }

    public Task AbandonActivityWorkItemAsync(ActivityWorkItem workItem)
    {
        lock (_gate)
        {
            if (_activities.TryGetValue(workItem.Task.Id, out var entry) && entry.LockToken == workItem.LockToken)
            {
                entry.LockToken = 0;
                entry.Task = entry.Task with { DequeueCount = entry.Task.DequeueCount + 1 };
                var delay = TimeSpan.FromMilliseconds(Math.Min(10_000, 100 * Math.Pow(2, entry.Task.DequeueCount - 1)));
                _ = Task.Delay(delay, _shutdown.Token).ContinueWith(_ => _readyActivities.Writer.TryWrite(workItem.Task.Id), TaskScheduler.Default);
            }
        }

        return Task.CompletedTask;
    }

    public Task DeadLetterActivityWorkItemAsync(ActivityWorkItem workItem, string reason)
    {
        var now = Now;
        InstanceMessage? parentNotice = null;
        return WriteAsync(
            ctx =>
            {
                ctx.Exec(
                    "INSERT INTO DeadLetters (kind, instance_id, payload, reason, dequeue_count, dead_lettered_at) VALUES ('activity', $i, $p, $r, $d, $t)",
                    ("$i", workItem.Task.InstanceId), ("$p", JsonSerializer.Serialize(workItem.Task, Json)), ("$r", reason), ("$d", workItem.Task.DequeueCount), ("$t", ToMs(now)));
                ctx.Exec("DELETE FROM Tasks WHERE id = $id", ("$id", workItem.Task.Id));
                parentNotice = FailInstance(ctx, workItem.Task.InstanceId, reason, now);
                return 0;
            },
            validate: () => _activities.TryGetValue(workItem.Task.Id, out var entry) && entry.LockToken == workItem.LockToken,
            afterCommit: _ =>
            {
                if (parentNotice is not null)
                {
                    AddMessages([parentNotice], now);
                }

                _activities.Remove(workItem.Task.Id);
                NotifyWatchers(workItem.Task.InstanceId);
            });
    }

    public bool RenewActivityLease(ActivityWorkItem workItem)
    {
        lock (_gate)
        {
            if (_activities.TryGetValue(workItem.Task.Id, out var entry) && entry.LockToken == workItem.LockToken)
            {
                entry.LockUntil = Ticks + (long)_lease.TotalMilliseconds;
                return true;
            }

            return false;
        }
    }

    private static void UpsertInstance(WriteContext ctx, InstanceRecord r) =>
        ctx.Exec(
            UpsertInstanceSql,
            ("$id", r.InstanceId), ("$x", r.ExecutionId), ("$n", r.Name), ("$ent", r.IsEntity ? 1 : 0), ("$s", (int)r.Status),
            ("$in", r.Input), ("$out", r.Output), ("$cs", r.CustomStatus), ("$f", r.Failure is null ? null : JsonSerializer.Serialize(r.Failure, Json)),
            ("$es", r.EntityState), ("$c", ToMs(r.CreatedAt)), ("$u", ToMs(r.LastUpdatedAt)), ("$done", r.CompletedAt is { } d ? ToMs(d) : null),
            ("$p", r.ParentInstanceId), ("$pt", r.ParentTaskId), ("$h", r.HistoryCount), ("$sch", r.EntityScheduler));

    /// <summary>Marks the instance failed; when that fails a sub-orchestration, returns the message that tells its parent.</summary>
    private InstanceMessage? FailInstance(WriteContext ctx, string instanceId, string reason, DateTime now)
    {
        var details = new TaskFailureDetails(StoreRows.PoisonMessageFailureType, reason, null, null, null);
        var failed = ctx.Exec(
            "UPDATE Instances SET runtime_status = 3, failure = $f, last_updated_at = $t, completed_at = $t WHERE instance_id = $id AND is_entity = 0 AND runtime_status NOT IN (1, 3, 5)",
            ("$f", JsonSerializer.Serialize(details, Json)), ("$t", ToMs(now)), ("$id", instanceId));

        // Without this message a parent waiting for a dead-lettered sub-orchestration would wait forever.
        if (failed == 0 || ctx.Scalar("SELECT parent_instance_id FROM Instances WHERE instance_id = $id", ("$id", instanceId)) is not string parent)
        {
            return null;
        }

        var parentTaskId = Convert.ToInt32(ctx.Scalar("SELECT parent_task_id FROM Instances WHERE instance_id = $id", ("$id", instanceId)), System.Globalization.CultureInfo.InvariantCulture);
        return InsertMessage(ctx, new OutgoingMessage(parent, HistoryEvents.SubOrchestrationFailed(parentTaskId, HistoryEvents.ToProto(details), now), now));
    }

    private InstanceMessage InsertMessage(WriteContext ctx, OutgoingMessage message)
    {
        var id = ++_nextMessageId;
        // Rounded up: a message reloaded after a restart must not become visible before its due time (a timer fires not before it is due).
        ctx.Exec(InsertMessageSql, ("$id", id), ("$i", message.InstanceId), ("$v", ToMsRoundedUp(message.VisibleAt)), ("$e", HistoryEvents.Encode(message.Event)), ("$x", message.TargetExecutionId));
        return new InstanceMessage(id, message.InstanceId, message.VisibleAt, message.Event, message.TargetExecutionId);
    }

    /// <summary>Creates or resets an instance row. False when an unfinished instance with that id exists.</summary>
    private static bool TryCreateInstance(WriteContext ctx, Engine.NewInstance instance, bool replaceTerminal, DateTime now, out string? conflict)
    {
        conflict = null;
        var existing = ctx.Scalar("SELECT runtime_status FROM Instances WHERE instance_id = $id", ("$id", instance.InstanceId));
        if (existing is not null)
        {
            var status = (OrchestrationRuntimeStatus)Convert.ToInt32(existing, System.Globalization.CultureInfo.InvariantCulture);
            if (!status.IsTerminal() || !replaceTerminal)
            {
                conflict = $"An orchestration with instance id '{instance.InstanceId}' already exists and is {status}.";
                return false;
            }

            ctx.Exec("DELETE FROM History WHERE instance_id = $id", ("$id", instance.InstanceId));
        }

        UpsertInstance(ctx, StoreRows.Pending(instance, now));
        return true;
    }

    /// <summary>Adds committed messages to their instances' queues. Caller holds the gate.</summary>
    private void AddMessages(IEnumerable<InstanceMessage> messages, DateTime now)
    {
        var touched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in messages)
        {
            var q = GetQueue(message.InstanceId);
            q.Messages.Add(message);
            touched.Add(message.InstanceId);
        }

        foreach (var id in touched)
        {
            Evaluate(id, _queues[id], now);
        }
    }

    /// <summary>Adds committed activities to the ready queue. Caller holds the gate.</summary>
    private void AddTasks(IEnumerable<ActivityTask> tasks)
    {
        foreach (var task in tasks)
        {
            _activities[task.Id] = new ActivityEntry(task);
            _readyActivities.Writer.TryWrite(task.Id);
        }
    }
}
