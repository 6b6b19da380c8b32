using Google.Protobuf;
using Npgsql;

namespace Serverless.DurableTask.Upgrade;

/// <summary>
/// The C# step of the PostgreSQL schema version 3: converts every instance's old JSON rows into the new bytea columns,
/// inside the migration's transaction. Unconvertible instances throw <see cref="StoreUpgradeException"/> naming them all;
/// the transaction rolls back and the schema is left as it was.
/// </summary>
internal static class PostgresHistoryUpgrade
{
    public static async Task ConvertAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        var executions = new Dictionary<string, string?>(StringComparer.Ordinal);
        await using (var read = new NpgsqlCommand("SELECT instance_id, execution_id FROM instances", connection, tx))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                executions[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
            }
        }

        var ids = new SortedSet<string>(executions.Keys, StringComparer.Ordinal);
        await using (var read = new NpgsqlCommand("SELECT DISTINCT instance_id FROM history UNION SELECT DISTINCT instance_id FROM messages", connection, tx))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ids.Add(reader.GetString(0));
            }
        }

        var refused = new List<StoreUpgradeException>();
        foreach (var instanceId in ids)
        {
            var legacy = await ReadAsync(connection, tx, instanceId, executions.GetValueOrDefault(instanceId), cancellationToken).ConfigureAwait(false);
            ConvertedInstance converted;
            try
            {
                converted = LegacyConverter.ConvertInstance(legacy);
            }
            catch (StoreUpgradeException ex)
            {
                refused.Add(ex);
                continue;
            }

            if (converted.Requeued)
            {
                await using var clear = new NpgsqlCommand("DELETE FROM history WHERE instance_id = @i; DELETE FROM messages WHERE instance_id = @i; UPDATE instances SET history_count = 0 WHERE instance_id = @i", connection, tx);
                clear.Parameters.AddWithValue("i", instanceId);
                await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            for (var seq = 0; seq < converted.History.Count; seq++)
            {
                await using var update = new NpgsqlCommand("UPDATE history SET event_pb = @e WHERE instance_id = @i AND seq = @s", connection, tx);
                update.Parameters.AddWithValue("e", converted.History[seq].ToByteArray());
                update.Parameters.AddWithValue("i", instanceId);
                update.Parameters.AddWithValue("s", seq);
                await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            foreach (var message in converted.Messages)
            {
                await using var write = message.KeepId is { } id
                    ? new NpgsqlCommand("UPDATE messages SET event_pb = @e, target_execution = @x WHERE id = @id", connection, tx)
                    : new NpgsqlCommand("INSERT INTO messages (instance_id, visible_at, event, event_pb, target_execution) VALUES (@i, @v, '', @e, @x)", connection, tx);
                write.Parameters.AddWithValue("e", message.Event.ToByteArray());
                write.Parameters.AddWithValue("x", (object?)message.TargetExecution ?? DBNull.Value);
                write.Parameters.AddWithValue("id", message.KeepId ?? 0L);
                write.Parameters.AddWithValue("i", instanceId);
                write.Parameters.AddWithValue("v", DateTime.SpecifyKind(message.VisibleAt, DateTimeKind.Utc));
                await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        if (refused.Count > 0)
        {
            throw new StoreUpgradeException(
                $"The schema was written by the previous release and {refused.Count} instance(s) cannot be taken over: " +
                string.Join(" ", refused.Select(r => r.Message.Replace(LegacyConverter.Advice, "", StringComparison.Ordinal).Trim())) + " " + LegacyConverter.Advice +
                " Nothing was changed.")
            {
                InstanceIds = [.. refused.SelectMany(r => r.InstanceIds)],
            };
        }
    }

    private static async Task<LegacyInstance> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string instanceId, string? executionId, CancellationToken cancellationToken)
    {
        var history = new List<string>();
        await using (var read = new NpgsqlCommand("SELECT seq, event FROM history WHERE instance_id = @i ORDER BY seq", connection, tx))
        {
            read.Parameters.AddWithValue("i", instanceId);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.GetInt32(0) != history.Count)
                {
                    throw new StoreUpgradeException($"Instance '{instanceId}' has a gap in its history (seq {reader.GetInt32(0)}). {LegacyConverter.Advice}") { InstanceIds = [instanceId] };
                }

                history.Add(reader.GetString(1));
            }
        }

        var messages = new List<LegacyMessageRow>();
        await using (var read = new NpgsqlCommand("SELECT id, visible_at, event FROM messages WHERE instance_id = @i ORDER BY id", connection, tx))
        {
            read.Parameters.AddWithValue("i", instanceId);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                messages.Add(new LegacyMessageRow(reader.GetInt64(0), reader.GetFieldValue<DateTime>(1), reader.GetString(2)));
            }
        }

        return new LegacyInstance(instanceId, executionId, history, messages);
    }
}
