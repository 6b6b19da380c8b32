using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace Serverless.DurableTask.Upgrade;

/// <summary>
/// The C# step of the SQLite schema version 2: reads every instance's old JSON rows (History, Messages) and writes them
/// converted into History_v2 / Messages_v2, inside the migration's transaction. Any row that cannot be converted throws
/// <see cref="StoreUpgradeException"/> (naming every such instance), and the transaction rolls back: the store is left as
/// it was, still readable by the previous release.
/// </summary>
internal static class SqliteHistoryUpgrade
{
    public static void Convert(SqliteConnection connection, SqliteTransaction tx)
    {
        var executions = new Dictionary<string, string?>(StringComparer.Ordinal);
        using (var read = Command(connection, tx, "SELECT instance_id, execution_id FROM Instances"))
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                executions[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
            }
        }

        var ids = new SortedSet<string>(executions.Keys, StringComparer.Ordinal);
        using (var read = Command(connection, tx, "SELECT DISTINCT instance_id FROM History UNION SELECT DISTINCT instance_id FROM Messages"))
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
        }

        var refused = new List<StoreUpgradeException>();
        var requeued = new List<(string InstanceId, ConvertedMessage Message)>();
        using var insertHistory = Command(connection, tx, "INSERT INTO History_v2 (instance_id, seq, event) VALUES ($i, $s, $e)");
        using var insertMessage = Command(connection, tx, "INSERT INTO Messages_v2 (id, instance_id, visible_at, dequeue_count, event, target_execution) SELECT $id, $i, $v, COALESCE((SELECT dequeue_count FROM Messages WHERE id = $id), 0), $e, $x");
        foreach (var instanceId in ids)
        {
            ConvertedInstance converted;
            try
            {
                converted = LegacyConverter.ConvertInstance(Read(connection, tx, instanceId, executions.GetValueOrDefault(instanceId)));
            }
            catch (StoreUpgradeException ex)
            {
                refused.Add(ex);
                continue;
            }

            for (var seq = 0; seq < converted.History.Count; seq++)
            {
                Run(insertHistory, ("$i", (object)instanceId), ("$s", seq), ("$e", converted.History[seq].ToByteArray()));
            }

            foreach (var message in converted.Messages)
            {
                if (message.KeepId is { } id)
                {
                    Run(insertMessage, ("$id", (object)id), ("$i", (object)instanceId), ("$v", Millis(message.VisibleAt)), ("$e", message.Event.ToByteArray()), ("$x", (object?)message.TargetExecution ?? DBNull.Value));
                }
                else
                {
                    requeued.Add((instanceId, message));
                }
            }

            if (converted.History.Count != 0 || converted.Messages.Count == 0 || !converted.Requeued)
            {
                continue;
            }

            using var count = Command(connection, tx, "UPDATE Instances SET history_count = 0 WHERE instance_id = $i");
            Run(count, ("$i", (object)instanceId));
        }

        if (refused.Count > 0)
        {
            throw new StoreUpgradeException(
                $"The store was written by the previous release and {refused.Count} instance(s) cannot be taken over: " +
                string.Join(" ", refused.Select(r => r.Message.Replace(LegacyConverter.Advice, "", StringComparison.Ordinal).Trim())) + " " + LegacyConverter.Advice +
                " Nothing was changed.")
            {
                InstanceIds = [.. refused.SelectMany(r => r.InstanceIds)],
            };
        }

        // Re-queued events go after every existing message, in order (ids keep growing).
        using var insertNew = Command(connection, tx, "INSERT INTO Messages_v2 (id, instance_id, visible_at, event, target_execution) VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM (SELECT id FROM Messages UNION ALL SELECT id FROM Messages_v2)), $i, $v, $e, $x)");
        foreach (var (instanceId, message) in requeued)
        {
            Run(insertNew, ("$i", (object)instanceId), ("$v", Millis(message.VisibleAt)), ("$e", message.Event.ToByteArray()), ("$x", (object?)message.TargetExecution ?? DBNull.Value));
        }
    }

    private static LegacyInstance Read(SqliteConnection connection, SqliteTransaction tx, string instanceId, string? executionId)
    {
        var history = new List<string>();
        using (var read = Command(connection, tx, "SELECT event FROM History WHERE instance_id = $i ORDER BY seq"))
        {
            read.Parameters.AddWithValue("$i", (object)instanceId);
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                history.Add(reader.GetString(0));
            }
        }

        var messages = new List<LegacyMessageRow>();
        using (var read = Command(connection, tx, "SELECT id, visible_at, event FROM Messages WHERE instance_id = $i ORDER BY id"))
        {
            read.Parameters.AddWithValue("$i", (object)instanceId);
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                messages.Add(new LegacyMessageRow(reader.GetInt64(0), DateTime.UnixEpoch.AddMilliseconds(reader.GetInt64(1)), reader.GetString(2)));
            }
        }

        return new LegacyInstance(instanceId, executionId, history, messages);
    }

    private static long Millis(DateTime time) => (long)(time - DateTime.UnixEpoch).TotalMilliseconds;

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction tx, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command;
    }

    private static void Run(SqliteCommand command, params (string Name, object Value)[] parameters)
    {
        command.Parameters.Clear();
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }
}
