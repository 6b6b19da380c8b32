using CompanyHub.Integrations.Storage;
using Npgsql;
using Serverless.Functions.Hosting;

namespace CompanyHub.Security;

/// <summary>
/// The audit log in the hub's PostgreSQL schema (table <c>app_audit</c>), one log for every replica. Rows are only
/// ever inserted; a trigger refuses updates, deletes and truncation.
/// </summary>
public sealed class PostgresAuditLog(SharedPostgresDatabase database) : IAuditLog
{
    private readonly PostgresAppTables _tables = new(database, "audit", """
        CREATE TABLE IF NOT EXISTS app_audit (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at bigint NOT NULL, actor text NOT NULL, action text NOT NULL,
            agent_id text, target text, detail text, address text, outcome text NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_app_audit_agent ON app_audit (agent_id, id);
        CREATE OR REPLACE FUNCTION app_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
        CREATE OR REPLACE TRIGGER app_audit_no_change BEFORE UPDATE OR DELETE ON app_audit FOR EACH ROW EXECUTE FUNCTION app_audit_append_only();
        CREATE OR REPLACE TRIGGER app_audit_no_truncate BEFORE TRUNCATE ON app_audit FOR EACH STATEMENT EXECUTE FUNCTION app_audit_append_only();
        """);

    public async Task AppendAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var connection = await _tables.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "INSERT INTO app_audit (at, actor, action, agent_id, target, detail, address, outcome) VALUES (@at, @actor, @action, @agent, @target, @detail, @address, @outcome)",
            connection);
        command.Parameters.AddWithValue("at", record.At.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("actor", PostgresAppTables.Text(record.Actor));
        command.Parameters.AddWithValue("action", PostgresAppTables.Text(record.Action));
        command.Parameters.AddWithValue("agent", PostgresAppTables.Text(record.AgentId));
        command.Parameters.AddWithValue("target", PostgresAppTables.Text(record.Target));
        command.Parameters.AddWithValue("detail", PostgresAppTables.Text(record.Detail));
        command.Parameters.AddWithValue("address", PostgresAppTables.Text(record.Address));
        command.Parameters.AddWithValue("outcome", PostgresAppTables.Text(record.Outcome));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await _tables.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand { Connection = connection };
        var where = new List<string>();
        if (query.AgentId is not null)
        {
            where.Add("agent_id = @agent");
            command.Parameters.AddWithValue("agent", PostgresAppTables.Text(query.AgentId));
        }

        if (query.From is { } from)
        {
            where.Add("at >= @from");
            command.Parameters.AddWithValue("from", from.ToUnixTimeMilliseconds());
        }

        if (query.To is { } to)
        {
            where.Add("at <= @to");
            command.Parameters.AddWithValue("to", to.ToUnixTimeMilliseconds());
        }

        if (query.Action is not null)
        {
            where.Add("starts_with(action, @action)");
            command.Parameters.AddWithValue("action", PostgresAppTables.Text(query.Action));
        }

        command.CommandText = "SELECT at, actor, action, agent_id, target, detail, address, outcome FROM app_audit"
            + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
            + " ORDER BY id DESC LIMIT @top";
        command.Parameters.AddWithValue("top", Math.Clamp(query.Top, 1, 1000));
        var list = new List<AuditRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            list.Add(new AuditRecord(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)), reader.GetString(1), reader.GetString(2), Text(3), Text(4), Text(5), Text(6), reader.GetString(7)));
        }

        return list;
    }
}
