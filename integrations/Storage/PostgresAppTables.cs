using Npgsql;
using Serverless.Functions.Hosting;

namespace CompanyHub.Integrations.Storage;

/// <summary>
/// The app's own tables in the task hub's PostgreSQL schema (when the hub runs on PostgreSQL, so that every replica
/// sees one archive and one audit log): created once per process, under an advisory lock so that replicas starting
/// together do not race on <c>CREATE TABLE IF NOT EXISTS</c>.
/// </summary>
public sealed class PostgresAppTables
{
    private readonly SharedPostgresDatabase _database;
    private readonly string _name;
    private readonly string _ddl;
    private readonly SemaphoreSlim _init = new(1, 1);
    private volatile bool _ready;

    /// <param name="database">The hub's database.</param>
    /// <param name="name">A name for the lock and for messages (the tables' purpose).</param>
    /// <param name="ddl">Idempotent statements creating the tables.</param>
    public PostgresAppTables(SharedPostgresDatabase database, string name, string ddl)
    {
        _database = database;
        _name = name;
        _ddl = ddl;
    }

    /// <summary>Opens a connection to the hub's schema, creating the tables first if this process has not yet.</summary>
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await _database.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (_ready)
        {
            return connection;
        }

        try
        {
            await _init.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!_ready)
                {
                    await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                    await using (var command = new NpgsqlCommand($"""
                        SELECT pg_advisory_xact_lock(hashtextextended('company-hub-app-tables:' || @schema, 0));
                        CREATE SCHEMA IF NOT EXISTS {_database.Schema};
                        {_ddl}
                        """, connection, tx))
                    {
                        command.Parameters.AddWithValue("schema", _database.Schema + ":" + _name);
                        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }

                    await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                    _ready = true;
                }
            }
            finally
            {
                _init.Release();
            }
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return connection;
    }

    /// <summary>PostgreSQL text cannot hold NUL; the app refuses it at its edges, and anything that slips through is kept visible.</summary>
    public static string? Clean(string? value) => value?.Replace('\0', '\uFFFD');

    /// <summary><see cref="Clean"/> as a parameter value (null as SQL NULL).</summary>
    public static object Text(string? value) => (object?)Clean(value) ?? DBNull.Value;
}
