using Npgsql;
using Serverless.DurableTask.Postgres;

namespace Serverless.Functions.Hosting;

/// <summary>
/// The task hub's PostgreSQL database and schema, offered to the app when the host runs on the "postgres" storage
/// provider: what the app keeps beside its orchestrations (an archive, an audit log) then lives where every replica
/// sees it, instead of in one replica's data directory. Connections open with the hub's schema as their search path.
/// </summary>
public sealed class SharedPostgresDatabase : IAsyncDisposable
{
    /// <summary>Initializes a new instance of the <see cref="SharedPostgresDatabase"/> class.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="schema">The task hub's schema (<see cref="PostgresStoreOptions.SchemaNameRule"/>).</param>
    public SharedPostgresDatabase(string connectionString, string schema)
    {
        if (!PostgresStoreOptions.IsValidSchemaName(schema))
        {
            throw new ArgumentException($"The schema name '{schema}' is not valid: use {PostgresStoreOptions.SchemaNameRule}.", nameof(schema));
        }

        Schema = schema;
        DataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema, MaxPoolSize = 10 });
    }

    /// <summary>Gets the schema of the task hub (it follows <see cref="PostgresStoreOptions.SchemaNameRule"/>, so it needs no quoting).</summary>
    public string Schema { get; }

    /// <summary>Gets the pooled connections to the database, with <see cref="Schema"/> as the search path.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
