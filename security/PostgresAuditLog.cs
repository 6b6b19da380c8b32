using CompanyHub.Integrations.Storage;
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
        await using var command = connection.CreateCommand();
        await AuditSql.AppendAsync(command, "app_audit", record, PostgresAppTables.Text, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await _tables.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        return await AuditSql.QueryAsync(command, "app_audit", query, PostgresAppTables.Text, cancellationToken).ConfigureAwait(false);
    }
}
