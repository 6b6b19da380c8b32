using Microsoft.DurableTask.Client;
using Serverless.DurableTask.Postgres;
using Serverless.DurableTask.Sqlite;

namespace Serverless.DurableTask.Client;

/// <summary>
/// Puts Microsoft's durable task client on this runtime's stores, the way <c>UseGrpc</c> puts it on a sidecar:
/// <c>services.AddDurableTaskClient(b => b.UseSqlite(s => s.DatabasePath = "hub.db"))</c>. The store is the one the
/// process's worker uses when it is configured alike (one store per process).
/// </summary>
public static class StoreDurableTaskClientBuilderExtensions
{
    /// <summary>Uses the SQLite store (one file; the default store of the runtime).</summary>
    /// <param name="builder">The client builder of <c>AddDurableTaskClient</c>.</param>
    /// <param name="configure">Configures the store: the database path and its tuning.</param>
    /// <returns>The builder.</returns>
    public static IDurableTaskClientBuilder UseSqlite(this IDurableTaskClientBuilder builder, Action<SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSqliteOrchestrationStore(configure);
        return builder.UseBuildTarget<StoreDurableTaskClient, StoreDurableTaskClientOptions>();
    }

    /// <summary>Uses the PostgreSQL store (several hosts sharing one database).</summary>
    /// <param name="builder">The client builder of <c>AddDurableTaskClient</c>.</param>
    /// <param name="configure">Configures the store; it must set the connection string.</param>
    /// <returns>The builder.</returns>
    public static IDurableTaskClientBuilder UsePostgres(this IDurableTaskClientBuilder builder, Action<PostgresStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddPostgresOrchestrationStore(configure);
        return builder.UseBuildTarget<StoreDurableTaskClient, StoreDurableTaskClientOptions>();
    }
}
