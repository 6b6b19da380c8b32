using System.Threading.Channels;
using Microsoft.DurableTask.Client;
using Npgsql;
using Serverless.DurableTask.Engine;

namespace Serverless.DurableTask.Postgres;

/// <content>
/// Group commit of client writes: starts, raised events and entity signals that callers make at the same time share
/// one transaction (one WAL flush), each with its own outcome.
/// </content>
internal sealed partial class PostgresOrchestrationStore
{
    /// <summary>The most client writes one transaction carries.</summary>
    internal const int MaxClientGroup = 512;

    private readonly Channel<ClientWrite> _clientWrites = Channel.CreateUnbounded<ClientWrite>(new UnboundedChannelOptions { SingleReader = true });
    private volatile bool _groupingClientWrites;

    public Task CreateInstanceAsync(NewInstance instance, bool replaceTerminal, CancellationToken cancellationToken) =>
        WriteAsync(new ClientWrite(instance, replaceTerminal, null, cancellationToken), cancellationToken);

    public Task SendMessageAsync(OutgoingMessage message, CancellationToken cancellationToken) =>
        WriteAsync(new ClientWrite(null, false, message, cancellationToken), cancellationToken);

    /// <summary>Queues a client write for the next group (or, before the store's loops run, commits it alone) and waits for its own outcome.</summary>
    private async Task WriteAsync(ClientWrite write, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!_groupingClientWrites)
        {
            await CommitGroupAsync([write], cancellationToken).ConfigureAwait(false);
        }
        else if (!_clientWrites.Writer.TryWrite(write))
        {
            throw new ObjectDisposedException(nameof(PostgresOrchestrationStore), "The store is shutting down.");
        }

        await write.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The one loop that commits client writes: everything queued while the previous group committed goes into the
    /// next transaction. A write whose caller gave up before its group began is dropped.
    /// </summary>
    private async Task CommitClientWritesAsync(CancellationToken stop)
    {
        var reader = _clientWrites.Reader;
        var group = new List<ClientWrite>();
        while (await NextGroupAsync(reader, group, MaxClientGroup).ConfigureAwait(false))
        {
            group.RemoveAll(GaveUp);
            if (group.Count > 0)
            {
                await CommitGroupAsync(group, CancellationToken.None).ConfigureAwait(false);
            }

            group.Clear();
            if (stop.IsCancellationRequested && !reader.TryPeek(out _))
            {
                return;
            }
        }
    }

    /// <summary>Whether the write's caller gave up before its group began (its task is then cancelled).</summary>
    private static bool GaveUp(ClientWrite write) => write.Cancellation.IsCancellationRequested && write.Completion.TrySetCanceled(write.Cancellation);

    /// <summary>
    /// Commits a group and completes each write with its outcome. When the group's transaction fails for a reason
    /// other than the database being unreachable, each write is committed on its own, so a write that fails fails alone.
    /// </summary>
    private async Task CommitGroupAsync(List<ClientWrite> group, CancellationToken cancellationToken)
    {
        try
        {
            await CommitGroupOnceAsync(group, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (Exception ex) when (group.Count == 1 || ex is StoreUnavailableException || _shutdown.IsCancellationRequested)
        {
            foreach (var write in group)
            {
                write.Completion.TrySetException(ex);
            }

            return;
        }
        catch (Exception)
        {
            // One write spoiled the group's transaction: find it by committing each alone.
        }

        foreach (var write in group)
        {
            await CommitGroupAsync([write], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One transaction for a group: locks the queue rows of every target (in one order, as every writer does), reads the
    /// instance rows the starts need, decides each start in queue order (an id already started earlier in the group is
    /// taken), then writes everything in one statement batch: the new instance rows, the messages in queue order (so
    /// events to one instance keep their order) and one notification.
    /// </summary>
    private async Task CommitGroupOnceAsync(List<ClientWrite> group, CancellationToken cancellationToken)
    {
        var now = HostNow();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var outcomes = await InTransactionAsync(
            async (connection, tx) =>
            {
                var creates = group.Where(w => w.Create is not null).Select(w => w.Create!.InstanceId).Distinct(StringComparer.Ordinal).ToArray();
                var targets = group.Select(w => w.Create?.InstanceId ?? w.Message!.InstanceId).Distinct(StringComparer.Ordinal).ToArray();
                var statuses = new Dictionary<string, OrchestrationRuntimeStatus>(StringComparer.Ordinal);
                await using (var read = new NpgsqlBatch(connection, tx)
                {
                    BatchCommands =
                    {
                        Cmd(LockQueueRowsSql, (object)targets),
                        Cmd("SELECT instance_id, runtime_status FROM instances WHERE instance_id = ANY($1) ORDER BY instance_id FOR UPDATE", (object)creates),
                    },
                })
                await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        statuses[reader.GetString(0)] = (OrchestrationRuntimeStatus)reader.GetInt32(1);
                    }
                }

                var results = new Exception?[group.Count];
                var accepted = new List<NewInstance>();
                var outgoing = new List<OutgoingMessage>();
                for (var i = 0; i < group.Count; i++)
                {
                    if (group[i].Message is { } message)
                    {
                        outgoing.Add(message);
                        continue;
                    }

                    var instance = group[i].Create!;
                    if (statuses.TryGetValue(instance.InstanceId, out var status) && (!status.IsTerminal() || !group[i].ReplaceTerminal))
                    {
                        results[i] = new OrchestrationAlreadyExistsException(instance.InstanceId, status);
                        continue;
                    }

                    statuses[instance.InstanceId] = OrchestrationRuntimeStatus.Pending;
                    accepted.Add(instance);
                    outgoing.Add(new OutgoingMessage(instance.InstanceId, instance.StartMessage, instance.VisibleAt));
                }

                if (outgoing.Count > 0)
                {
                    var startedIds = accepted.Select(c => c.InstanceId).ToArray();
                    await using var write = new NpgsqlBatch(connection, tx);
                    if (startedIds.Length > 0)
                    {
                        write.BatchCommands.Add(Cmd("DELETE FROM history WHERE instance_id = ANY($1)", (object)startedIds));
                        foreach (var instance in accepted)
                        {
                            write.BatchCommands.Add(UpsertInstance(StoreRows.Pending(instance, now)));
                        }

                        // Messages left for a finished instance of the same id belong to the old run.
                        write.BatchCommands.Add(Cmd("DELETE FROM messages WHERE instance_id = ANY($1)", (object)startedIds));
                    }

                    write.BatchCommands.Add(Enqueue(outgoing));
                    var ids = startedIds.Length > 0 ? NotifyIds(startedIds) : string.Empty;
                    write.BatchCommands.Add(Cmd("SELECT pg_notify($1, $2)", _channel, ids == "*" ? Flags("o*") : Flags("o") + ids));
                    await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                return (Results: results, Started: accepted.Select(c => c.InstanceId).ToList());
            },
            cancellationToken).ConfigureAwait(false);
        DurableTaskTelemetry.Committed("postgresql", group.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        for (var i = 0; i < group.Count; i++)
        {
            if (outcomes.Results[i] is { } error)
            {
                group[i].Completion.TrySetException(error);
            }
            else
            {
                group[i].Completion.TrySetResult();
            }
        }

        _orchestrations.Pulse();
        if (outcomes.Started.Count > 0)
        {
            _watchers.Wake(outcomes.Started);
        }
    }

    /// <summary>A start (<see cref="Create"/>) or a message (<see cref="Message"/>) waiting for its group.</summary>
    private sealed class ClientWrite(NewInstance? create, bool replaceTerminal, OutgoingMessage? message, CancellationToken cancellation)
    {
        public NewInstance? Create => create;

        public bool ReplaceTerminal => replaceTerminal;

        public OutgoingMessage? Message => message;

        public CancellationToken Cancellation => cancellation;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
