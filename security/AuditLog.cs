using System.Data.Common;
using CompanyHub.Integrations.Storage;
using Microsoft.Data.Sqlite;

namespace CompanyHub.Security;

/// <summary>
/// One audit entry: who (admin, <c>user:&lt;agentId&gt;</c>, <c>agent:&lt;agentId&gt;</c> or system), what, about which agent,
/// when, from which address, and the outcome. Never carries a secret.
/// </summary>
public sealed record AuditRecord(DateTimeOffset At, string Actor, string Action, string? AgentId, string? Target, string? Detail, string? Address, string Outcome);

/// <summary>A page of audit entries, newest first.</summary>
public sealed record AuditQuery(string? AgentId = null, DateTimeOffset? From = null, DateTimeOffset? To = null, int Top = 100, string? Action = null);

/// <summary>The append-only audit log.</summary>
public interface IAuditLog
{
    Task AppendAsync(AuditRecord record, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default);
}

/// <summary>
/// The audit log in its own SQLite file (<c>audit.db</c> in the data directory). Rows are only ever inserted; there is
/// no update or delete path in the code, and a trigger refuses both.
/// </summary>
public sealed class SqliteAuditLog : IAuditLog
{
    private readonly AppDatabase _database;

    public SqliteAuditLog(string path)
    {
        _database = new AppDatabase(path, """
        CREATE TABLE IF NOT EXISTS Audit (
        id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        agent_id TEXT, target TEXT, detail TEXT, address TEXT, outcome TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_audit_agent ON Audit (agent_id, id);
        CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON Audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON Audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """);
    }

    public async Task AppendAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        await AuditSql.AppendAsync(command, "Audit", record, value => (object?)value ?? DBNull.Value, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        return await AuditSql.QueryAsync(command, "Audit", query, value => (object?)value ?? DBNull.Value, cancellationToken).ConfigureAwait(false);
    }

    private Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => _database.OpenAsync(cancellationToken);
}

/// <summary>The audit log's SQL, the same on SQLite and PostgreSQL (only the table name and text cleaning differ).</summary>
internal static class AuditSql
{
    public static async Task AppendAsync(DbCommand command, string table, AuditRecord record, Func<string?, object> text, CancellationToken cancellationToken)
    {
        command.CommandText = $"INSERT INTO {table} (at, actor, action, agent_id, target, detail, address, outcome) VALUES (@at, @actor, @action, @agent, @target, @detail, @address, @outcome)";
        command.AddParameter("at", record.At.ToUnixTimeMilliseconds());
        command.AddParameter("actor", text(record.Actor));
        command.AddParameter("action", text(record.Action));
        command.AddParameter("agent", text(record.AgentId));
        command.AddParameter("target", text(record.Target));
        command.AddParameter("detail", text(record.Detail));
        command.AddParameter("address", text(record.Address));
        command.AddParameter("outcome", text(record.Outcome));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Newest first; the action filter is a literal prefix (no wildcards).</summary>
    public static async Task<IReadOnlyList<AuditRecord>> QueryAsync(DbCommand command, string table, AuditQuery query, Func<string?, object> text, CancellationToken cancellationToken)
    {
        var where = new List<string>();
        if (query.AgentId is not null)
        {
            where.Add("agent_id = @agent");
            command.AddParameter("agent", text(query.AgentId));
        }

        if (query.From is { } from)
        {
            where.Add("at >= @from");
            command.AddParameter("from", from.ToUnixTimeMilliseconds());
        }

        if (query.To is { } to)
        {
            where.Add("at <= @to");
            command.AddParameter("to", to.ToUnixTimeMilliseconds());
        }

        if (query.Action is not null)
        {
            where.Add("substr(action, 1, length(@action)) = @action");
            command.AddParameter("action", text(query.Action));
        }

        command.CommandText = $"SELECT at, actor, action, agent_id, target, detail, address, outcome FROM {table}"
            + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
            + " ORDER BY id DESC LIMIT @top";
        command.AddParameter("top", Math.Clamp(query.Top, 1, 1000));
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
