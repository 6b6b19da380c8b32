using System.Data.Common;
using CompanyHub.Entities;
using Microsoft.Data.Sqlite;

namespace CompanyHub.Integrations.Storage;

/// <summary>Every conversation message of every agent, for paging; the agent entity keeps only the recent ones.</summary>
public interface IConversationArchive
{
    Task AppendAsync(string agentId, IReadOnlyList<ConversationMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>Messages with a sequence number greater than <paramref name="after"/>, oldest first.</summary>
    Task<IReadOnlyList<ConversationMessage>> ReadAsync(string agentId, long after, int top, CancellationToken cancellationToken = default);
}

/// <summary>The archive in its own SQLite file (<c>conversations.db</c>). Appends are idempotent by (agent, sequence).</summary>
public sealed class SqliteConversationArchive : IConversationArchive
{
    private readonly AppDatabase _database;

    public SqliteConversationArchive(string path)
    {
        _database = new AppDatabase(path, """
        CREATE TABLE IF NOT EXISTS Messages (
        agent_id TEXT NOT NULL, seq INTEGER NOT NULL, role TEXT NOT NULL, text TEXT NOT NULL, at INTEGER NOT NULL, turn_id TEXT,
        PRIMARY KEY (agent_id, seq)) WITHOUT ROWID;
        """);
    }

    public async Task AppendAsync(string agentId, IReadOnlyList<ConversationMessage> messages, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var m in messages)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = "INSERT OR IGNORE INTO Messages (agent_id, seq, role, text, at, turn_id) VALUES ($a, $s, $r, $t, $at, $turn)";
            command.Parameters.AddWithValue("$a", agentId);
            command.Parameters.AddWithValue("$s", m.Seq);
            command.Parameters.AddWithValue("$r", m.Role);
            command.Parameters.AddWithValue("$t", m.Text);
            command.Parameters.AddWithValue("$at", m.At.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$turn", (object?)m.TurnId ?? DBNull.Value);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ConversationMessage>> ReadAsync(string agentId, long after, int top, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        return await ArchiveSql.ReadAsync(command, "Messages", agentId, after, top, cancellationToken).ConfigureAwait(false);
    }

    private Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => _database.OpenAsync(cancellationToken);
}

/// <summary>The archive's read, the same on SQLite and PostgreSQL but for the table.</summary>
internal static class ArchiveSql
{
    /// <summary>Messages of <paramref name="agent"/> (a parameter value) after <paramref name="after"/>, oldest first, at most <paramref name="top"/> (1 to 500).</summary>
    public static async Task<IReadOnlyList<ConversationMessage>> ReadAsync(DbCommand command, string table, object agent, long after, int top, CancellationToken cancellationToken)
    {
        command.CommandText = $"SELECT seq, role, text, at, turn_id FROM {table} WHERE agent_id = @agent AND seq > @after ORDER BY seq LIMIT @top";
        command.AddParameter("agent", agent);
        command.AddParameter("after", after);
        command.AddParameter("top", Math.Clamp(top, 1, 500));
        var list = new List<ConversationMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new ConversationMessage(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return list;
    }
}
