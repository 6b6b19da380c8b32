using CompanyHub.Entities;
using Npgsql;
using Serverless.Functions.Hosting;

namespace CompanyHub.Integrations.Storage;

/// <summary>The conversation archive in the hub's PostgreSQL schema (table <c>app_conversation_messages</c>), shared by every replica.</summary>
public sealed class PostgresConversationArchive(SharedPostgresDatabase database) : IConversationArchive
{
    private readonly PostgresAppTables _tables = new(database, "conversations", """
        CREATE TABLE IF NOT EXISTS app_conversation_messages (
            agent_id text NOT NULL, seq bigint NOT NULL, role text NOT NULL, text text NOT NULL, at bigint NOT NULL, turn_id text,
            PRIMARY KEY (agent_id, seq));
        """);

    public async Task AppendAsync(string agentId, IReadOnlyList<ConversationMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            return;
        }

        await using var connection = await _tables.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            INSERT INTO app_conversation_messages (agent_id, seq, role, text, at, turn_id)
            SELECT @agent, m.seq, m.role, m.text, m.at, m.turn_id
            FROM unnest(@seq, @role, @text, @at, @turn) AS m(seq, role, text, at, turn_id)
            ON CONFLICT (agent_id, seq) DO NOTHING
            """, connection);
        command.Parameters.AddWithValue("agent", PostgresAppTables.Text(agentId));
        command.Parameters.AddWithValue("seq", messages.Select(m => m.Seq).ToArray());
        command.Parameters.AddWithValue("role", messages.Select(m => PostgresAppTables.Clean(m.Role)).ToArray());
        command.Parameters.AddWithValue("text", messages.Select(m => PostgresAppTables.Clean(m.Text)).ToArray());
        command.Parameters.AddWithValue("at", messages.Select(m => m.At.ToUnixTimeMilliseconds()).ToArray());
        command.Parameters.Add(new NpgsqlParameter("turn", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { Value = messages.Select(m => PostgresAppTables.Clean(m.TurnId)).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ConversationMessage>> ReadAsync(string agentId, long after, int top, CancellationToken cancellationToken = default)
    {
        await using var connection = await _tables.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        return await ArchiveSql.ReadAsync(command, "app_conversation_messages", PostgresAppTables.Text(agentId), after, top, cancellationToken).ConfigureAwait(false);
    }
}
