using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using P = Microsoft.DurableTask.Protobuf;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Sqlite;

namespace Serverless.DurableTask.Postgres;

/// <content>Client operations: creating instances, sending messages, reading, querying and purging.</content>
internal sealed partial class PostgresOrchestrationStore
{
    public Task<IReadOnlyList<P.HistoryEvent>> GetHistoryAsync(string instanceId, CancellationToken cancellationToken) => ReadAsync<IReadOnlyList<P.HistoryEvent>>(async () =>
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT seq, event FROM history WHERE instance_id = $1 ORDER BY seq", connection) { Parameters = { new() { Value = instanceId } } };
        var events = new List<P.HistoryEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                events.Add(HistoryEvents.Decode((byte[])reader.GetValue(1)));
            }
            catch (Exception ex) when (ex is InvalidDataException or InvalidCastException)
            {
                throw new InvalidDataException($"History event #{reader.GetInt32(0)} of instance '{instanceId}' is corrupt: {ex.Message}", ex);
            }
        }

        return events;
    });

    public Task<InstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken) => ReadAsync(async () =>
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"SELECT {InstanceColumns} FROM instances WHERE instance_id = $1", connection) { Parameters = { new() { Value = instanceId } } };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadInstance(reader) : null;
    });

    public Task<StorePage<InstanceRecord>> QueryInstancesAsync(InstanceQuery query, bool entities, CancellationToken cancellationToken) => ReadAsync(async () =>
    {
        var pageSize = Math.Clamp(query.PageSize, 1, 1000);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand { Connection = connection };
        var sql = new StringBuilder($"SELECT {InstanceColumns} FROM instances WHERE is_entity = @ent");
        command.Parameters.AddWithValue("ent", entities);
        if (query.CreatedFrom is { } from)
        {
            sql.Append(" AND created_at >= @from");
            command.Parameters.AddWithValue("from", from.UtcDateTime);
        }

        if (query.CreatedTo is { } to)
        {
            sql.Append(" AND created_at <= @to");
            command.Parameters.AddWithValue("to", to.UtcDateTime);
        }

        if (query.Statuses is { Count: > 0 } statuses)
        {
            sql.Append(" AND runtime_status = ANY(@statuses)");
            command.Parameters.AddWithValue("statuses", statuses.Select(s => (int)s).ToArray());
        }

        if (!string.IsNullOrEmpty(query.InstanceIdPrefix))
        {
            // Range on the primary key rather than LIKE: exact, case-sensitive and index-friendly.
            sql.Append(" AND instance_id >= @prefix AND instance_id < @prefixEnd");
            command.Parameters.AddWithValue("prefix", query.InstanceIdPrefix);
            command.Parameters.AddWithValue("prefixEnd", query.InstanceIdPrefix + "\uffff");
        }

        if (!string.IsNullOrEmpty(query.Name))
        {
            sql.Append(" AND lower(name) = lower(@name)");
            command.Parameters.AddWithValue("name", query.Name);
        }

        if (query.ContinuationToken is { } token)
        {
            var (createdAt, lastId) = SqliteOrchestrationStore.DecodeToken(token);
            sql.Append(" AND (created_at, instance_id) > (@cAt, @cId)");
            command.Parameters.AddWithValue("cAt", DateTime.UnixEpoch.AddTicks(createdAt * 10));
            command.Parameters.AddWithValue("cId", lastId);
        }

        sql.Append(" ORDER BY created_at, instance_id LIMIT @take");
        command.Parameters.AddWithValue("take", pageSize + 1);
        command.CommandText = sql.ToString();
        return await StoreRows.ReadPageAsync(command, pageSize, r => ReadInstance((NpgsqlDataReader)r), r => (r.CreatedAt.Ticks - DateTime.UnixEpoch.Ticks) / 10, cancellationToken).ConfigureAwait(false);
    });

    public Task<int> PurgeInstanceAsync(string instanceId, CancellationToken cancellationToken) =>
        PurgeWhereAsync("instance_id = @id AND (is_entity OR (completed_at IS NOT NULL AND runtime_status IN (1, 3, 5)))", [("id", instanceId)], cancellationToken);

    public Task<int> PurgeInstancesAsync(PurgeFilter filter, CancellationToken cancellationToken)
    {
        var where = new StringBuilder("NOT is_entity");
        var parameters = new List<(string, object)>();
        var statuses = StoreRows.PurgeableStatuses(filter);
        if (statuses.Count == 0)
        {
            return Task.FromResult(0);
        }

        where.Append(" AND runtime_status = ANY(@statuses)");
        parameters.Add(("statuses", statuses.ToArray()));
        if (filter.CreatedFrom is { } from)
        {
            where.Append(" AND created_at >= @from");
            parameters.Add(("from", from.UtcDateTime));
        }

        if (filter.CreatedTo is { } to)
        {
            where.Append(" AND created_at <= @to");
            parameters.Add(("to", to.UtcDateTime));
        }

        return PurgeWhereAsync(where.ToString(), [.. parameters], cancellationToken);
    }

    public Task<int> PurgeCompletedBeforeAsync(DateTime completedBefore, CancellationToken cancellationToken) =>
        PurgeWhereAsync("NOT is_entity AND completed_at IS NOT NULL AND completed_at < @cut AND runtime_status IN (1, 3, 5)", [("cut", Utc(completedBefore))], cancellationToken);

    public Task WaitForInstanceChangeAsync(string instanceId, CancellationToken cancellationToken) => _watchers.WaitAsync(instanceId, cancellationToken);

    public IDisposable ListenForChanges(Action<IReadOnlyCollection<string>?> listener) => _watchers.Listen(listener);

    public Task<int> GetBacklogAsync(string instanceId, CancellationToken cancellationToken) => ReadAsync(async () =>
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM messages WHERE instance_id = $1", connection) { Parameters = { new() { Value = instanceId } } };
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    });

    public Task<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(int top, CancellationToken cancellationToken) => ReadAsync<IReadOnlyList<DeadLetter>>(async () =>
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT id, kind, instance_id, payload, reason, dequeue_count, dead_lettered_at FROM dead_letters ORDER BY id DESC LIMIT $1", connection)
        {
            Parameters = { new() { Value = Math.Clamp(top, 1, 1000) } },
        };
        var list = new List<DeadLetter>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new DeadLetter(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5), reader.GetDateTime(6)));
        }

        return list;
    });

    public Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken) => ReadAsync(async () =>
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            """
            SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM tasks),
                   (SELECT count(*) FROM instance_queue WHERE lock_token IS NOT NULL AND locked_until > n.t),
                   (SELECT count(*) FROM dead_letters), (SELECT count(*) FROM instances WHERE NOT is_entity),
                   (SELECT count(*) FROM messages WHERE visible_at > n.t),
                   LEAST((SELECT min(visible_at) FROM messages WHERE visible_at <= n.t), (SELECT min(ready_at) FROM tasks WHERE ready_at <= n.t AND locked_until < n.t))
            FROM (SELECT clock_timestamp() AS t) AS n
            """,
            connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new StoreStatistics((int)reader.GetInt64(0), (int)reader.GetInt64(1), (int)reader.GetInt64(2), (int)reader.GetInt64(3), (int)reader.GetInt64(4),
            (int)reader.GetInt64(5), reader.IsDBNull(6) ? null : reader.GetDateTime(6));
    });

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        if (_initialized == 0 || _shutdown.IsCancellationRequested || !_listening)
        {
            return false;
        }

        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            return await PostgresMigrations.CurrentVersionAsync(connection, cancellationToken).ConfigureAwait(false) == PostgresMigrations.LatestVersion;
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            return false;
        }
    }

    private static InstanceRecord ReadInstance(NpgsqlDataReader reader) => StoreRows.ReadInstance(reader, (r, i) => r.GetDateTime(i), SqliteOrchestrationStore.Json);

    private async Task<int> PurgeWhereAsync(string where, (string Name, object Value)[] parameters, CancellationToken cancellationToken)
    {
        var purged = await InTransactionAsync(
            async (connection, tx) =>
            {
                await using var command = new NpgsqlCommand(
                    $"""
                    WITH p AS (DELETE FROM instances WHERE {where} RETURNING instance_id),
                    h AS (DELETE FROM history WHERE instance_id IN (SELECT instance_id FROM p)),
                    m AS (DELETE FROM messages WHERE instance_id IN (SELECT instance_id FROM p)),
                    t AS (DELETE FROM tasks WHERE instance_id IN (SELECT instance_id FROM p)),
                    q AS (DELETE FROM instance_queue WHERE instance_id IN (SELECT instance_id FROM p) AND lock_token IS NULL)
                    SELECT instance_id FROM p
                    """,
                    connection,
                    tx);
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.AddWithValue(name, value);
                }

                var ids = new List<string>();
                await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        ids.Add(reader.GetString(0));
                    }
                }

                if (ids.Count > 0)
                {
                    await using var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection, tx) { Parameters = { new() { Value = _channel }, new() { Value = NotifyIds(ids) } } };
                    await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                return ids;
            },
            cancellationToken).ConfigureAwait(false);
        _watchers.Wake(purged);
        return purged.Count;
    }

    /// <summary>A payload naming changed instances; '*' (everyone re-reads) when the list would not fit a notification.</summary>
    private static string NotifyIds(IReadOnlyCollection<string> ids)
    {
        var payload = "|" + string.Join('\u001f', ids);
        return Encoding.UTF8.GetByteCount(payload) < 7000 ? payload : "*";
    }
}
