using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using P = Microsoft.DurableTask.Protobuf;
using Serverless.DurableTask.Engine;

namespace Serverless.DurableTask.Sqlite;

/// <content>Client operations: creating instances, sending messages, reading, querying and purging.</content>
internal sealed partial class SqliteOrchestrationStore
{
    private const string InstanceColumns = StoreRows.InstanceColumns;

    public Task CreateInstanceAsync(NewInstance instance, bool replaceTerminal, CancellationToken cancellationToken)
    {
        var now = Now;
        InstanceMessage? created = null;
        return WriteAsync(
            ctx =>
            {
                if (!TryCreateInstance(ctx, instance, replaceTerminal, now, out _))
                {
                    var status = (OrchestrationRuntimeStatus)Convert.ToInt32(ctx.Scalar("SELECT runtime_status FROM Instances WHERE instance_id = $id", ("$id", instance.InstanceId)), CultureInfo.InvariantCulture);
                    throw new OrchestrationAlreadyExistsException(instance.InstanceId, status);
                }

                // Messages left for a finished instance of the same id belong to the old run.
                ctx.Exec("DELETE FROM Messages WHERE instance_id = $id", ("$id", instance.InstanceId));
                created = InsertMessage(ctx, new OutgoingMessage(instance.InstanceId, instance.StartMessage, instance.VisibleAt));
                return 0;
            },
            afterCommit: _ =>
            {
                if (_queues.TryGetValue(instance.InstanceId, out var q))
                {
                    q.Messages.Clear();
                    q.Suspended = false;
                }

                AddMessages([created!], now);
                NotifyWatchers(instance.InstanceId);
            });
    }

    public Task SendMessageAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        InstanceMessage? created = null;
        var now = Now;
        return WriteAsync(
            ctx =>
            {
                created = InsertMessage(ctx, message);
                return 0;
            },
            afterCommit: _ => AddMessages([created!], now));
    }

    public async Task<IReadOnlyList<P.HistoryEvent>> GetHistoryAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, event FROM History WHERE instance_id = $id ORDER BY seq";
        command.Parameters.AddWithValue("$id", instanceId);
        var events = new List<P.HistoryEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                events.Add(ReadEvent(reader, 1));
            }
            catch (Exception ex) when (ex is InvalidDataException or InvalidCastException)
            {
                throw new InvalidDataException($"History event #{reader.GetInt64(0)} of instance '{instanceId}' is corrupt: {ex.Message}", ex);
            }
        }

        return events;
    }

    public async Task<InstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {InstanceColumns} FROM Instances WHERE instance_id = $id";
        command.Parameters.AddWithValue("$id", instanceId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadInstance(reader) : null;
    }

    public async Task<StorePage<InstanceRecord>> QueryInstancesAsync(InstanceQuery query, bool entities, CancellationToken cancellationToken)
    {
        var pageSize = Math.Clamp(query.PageSize, 1, 1000);
        var sql = new StringBuilder($"SELECT {InstanceColumns} FROM Instances WHERE is_entity = $ent");
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.Parameters.AddWithValue("$ent", entities ? 1 : 0);
        if (query.CreatedFrom is { } from)
        {
            sql.Append(" AND created_at >= $from");
            command.Parameters.AddWithValue("$from", from.ToUnixTimeMilliseconds());
        }

        if (query.CreatedTo is { } to)
        {
            sql.Append(" AND created_at <= $to");
            command.Parameters.AddWithValue("$to", to.ToUnixTimeMilliseconds());
        }

        if (query.Statuses is { Count: > 0 } statuses)
        {
            sql.Append(" AND runtime_status IN (").AppendJoin(", ", statuses.Select(s => ((int)s).ToString(CultureInfo.InvariantCulture))).Append(')');
        }

        if (!string.IsNullOrEmpty(query.InstanceIdPrefix))
        {
            // Range on the primary key rather than LIKE: exact, case-sensitive and index-friendly.
            sql.Append(" AND instance_id >= $prefix AND instance_id < $prefixEnd");
            command.Parameters.AddWithValue("$prefix", query.InstanceIdPrefix);
            command.Parameters.AddWithValue("$prefixEnd", query.InstanceIdPrefix + "\uffff");
        }

        if (!string.IsNullOrEmpty(query.Name))
        {
            sql.Append(" AND name = $name COLLATE NOCASE");
            command.Parameters.AddWithValue("$name", query.Name);
        }

        if (query.ContinuationToken is { } token)
        {
            var (createdAt, lastId) = DecodeToken(token);
            sql.Append(" AND (created_at > $cAt OR (created_at = $cAt AND instance_id > $cId))");
            command.Parameters.AddWithValue("$cAt", createdAt);
            command.Parameters.AddWithValue("$cId", lastId);
        }

        sql.Append(" ORDER BY created_at, instance_id LIMIT $take");
        command.Parameters.AddWithValue("$take", pageSize + 1);
        command.CommandText = sql.ToString();
        return await StoreRows.ReadPageAsync(command, pageSize, r => ReadInstance((SqliteDataReader)r), r => ToMs(r.CreatedAt), cancellationToken).ConfigureAwait(false);
    }

    public Task<int> PurgeInstanceAsync(string instanceId, CancellationToken cancellationToken) =>
        PurgeWhereAsync("instance_id = $id AND (is_entity = 1 OR (completed_at IS NOT NULL AND runtime_status IN (1, 3, 5)))", [("$id", instanceId)]);

    public Task<int> PurgeInstancesAsync(PurgeFilter filter, CancellationToken cancellationToken)
    {
        var where = new StringBuilder("is_entity = 0");
        var parameters = new List<(string, object?)>();
        var statuses = StoreRows.PurgeableStatuses(filter);
        if (statuses.Count == 0)
        {
            return Task.FromResult(0);
        }

        where.Append(" AND runtime_status IN (").AppendJoin(", ", statuses.Select(x => x.ToString(CultureInfo.InvariantCulture))).Append(')');
        if (filter.CreatedFrom is { } from)
        {
            where.Append(" AND created_at >= $from");
            parameters.Add(("$from", from.ToUnixTimeMilliseconds()));
        }

        if (filter.CreatedTo is { } to)
        {
            where.Append(" AND created_at <= $to");
            parameters.Add(("$to", to.ToUnixTimeMilliseconds()));
        }

        return PurgeWhereAsync(where.ToString(), [.. parameters]);
    }

    public Task<int> PurgeCompletedBeforeAsync(DateTime completedBefore, CancellationToken cancellationToken) =>
        PurgeWhereAsync("is_entity = 0 AND completed_at IS NOT NULL AND completed_at < $cut AND runtime_status IN (1, 3, 5)", [("$cut", ToMs(completedBefore))]);

    public Task WaitForInstanceChangeAsync(string instanceId, CancellationToken cancellationToken) => _watchers.WaitAsync(instanceId, cancellationToken);

    public IDisposable ListenForChanges(Action<IReadOnlyCollection<string>?> listener) => _watchers.Listen(listener);

    public Task<int> GetBacklogAsync(string instanceId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_queues.TryGetValue(instanceId, out var q) ? q.Messages.Count : 0);
        }
    }

    public async Task<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(int top, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, kind, instance_id, payload, reason, dequeue_count, dead_lettered_at FROM DeadLetters ORDER BY id DESC LIMIT $top";
        command.Parameters.AddWithValue("$top", Math.Clamp(top, 1, 1000));
        var list = new List<DeadLetter>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new DeadLetter(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5), FromMs(reader.GetInt64(6))));
        }

        return list;
    }

    public async Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken)
    {
        int pending, activities, locked, dueLater = 0;
        DateTime? oldest = null;
        var now = _time.GetUtcNow().UtcDateTime;
        lock (_gate)
        {
            pending = _queues.Values.Sum(q => q.Messages.Count);
            locked = _queues.Values.Count(q => q.LockToken != 0);
            activities = _activities.Count;
            foreach (var message in _queues.Values.SelectMany(q => q.Messages))
            {
                if (message.VisibleAt > now)
                {
                    dueLater++;
                }
                else if (oldest is null || message.VisibleAt < oldest)
                {
                    oldest = message.VisibleAt;
                }
            }
        }

        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT COUNT(*) FROM DeadLetters), (SELECT COUNT(*) FROM Instances WHERE is_entity = 0)";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new StoreStatistics(pending, activities, locked, reader.GetInt32(0), reader.GetInt32(1), dueLater, oldest);
    }

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        if (_writer is null || _shutdown.IsCancellationRequested)
        {
            return false;
        }

        if (_writeFault is not null)
        {
            // A write failed (disk full, read-only): ready again only once a probe write gets through. The probe
            // needs fresh pages (a blob larger than a page), as the work waiting to be written does.
            try
            {
                await WriteAsync(ctx => ctx.Exec(
                    "CREATE TABLE IF NOT EXISTS StoreProbe (id INTEGER PRIMARY KEY, data BLOB); INSERT INTO StoreProbe (data) VALUES (zeroblob(16384)); DELETE FROM StoreProbe;")).WaitAsync(cancellationToken).ConfigureAwait(false);
                _writeFault = null;
            }
            catch (StoreUnavailableException)
            {
                return false;
            }
        }

        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        return SqliteMigrations.CurrentVersion(connection) == SqliteMigrations.LatestVersion;
    }

    internal static string EncodeToken(long createdAt, string instanceId) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{createdAt.ToString(CultureInfo.InvariantCulture)}|{instanceId}"));

    internal static (long CreatedAt, string InstanceId) DecodeToken(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            return (long.Parse(text.AsSpan(0, bar), NumberStyles.Integer, CultureInfo.InvariantCulture), text[(bar + 1)..]);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentOutOfRangeException or OverflowException)
        {
            throw new ArgumentException("The continuation token is not valid.", nameof(token), ex);
        }
    }

    private static InstanceRecord ReadInstance(SqliteDataReader reader) => StoreRows.ReadInstance(reader, (r, i) => FromMs(r.GetInt64(i)), Json);

    private Task<int> PurgeWhereAsync(string where, (string Name, object? Value)[] parameters)
    {
        var purged = new List<string>();
        return WriteAsync(
            ctx =>
            {
                var select = ctx.Command($"SELECT instance_id FROM Instances WHERE {where}");
                foreach (var (name, value) in parameters)
                {
                    select.Parameters.AddWithValue(name, value ?? DBNull.Value);
                }

                using (var reader = select.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        purged.Add(reader.GetString(0));
                    }
                }

                foreach (var id in purged)
                {
                    ctx.Exec("DELETE FROM Instances WHERE instance_id = $id", ("$id", id));
                    ctx.Exec("DELETE FROM History WHERE instance_id = $id", ("$id", id));
                    ctx.Exec("DELETE FROM Messages WHERE instance_id = $id", ("$id", id));
                    ctx.Exec("DELETE FROM Tasks WHERE instance_id = $id", ("$id", id));
                }

                return purged.Count;
            },
            afterCommit: _ =>
            {
                foreach (var id in purged)
                {
                    if (_queues.TryGetValue(id, out var q) && q.LockToken == 0)
                    {
                        _queues.Remove(id);
                    }

                    foreach (var entry in _activities.Values.Where(a => a.Task.InstanceId == id && a.LockToken == 0).ToList())
                    {
                        _activities.Remove(entry.Task.Id);
                    }

                    NotifyWatchers(id);
                }
            });
    }
}
