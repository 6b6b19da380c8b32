using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Sqlite;

namespace CompanyHub.Tests;

/// <summary>
/// The hub's durable store refusing every write, as on a read-only file system, and taking writes again: <c>PRAGMA
/// query_only</c> on the store's own writer connection, as the runtime's <c>StoreFaultTests</c> do. Reads go on working;
/// every write fails with <see cref="Serverless.DurableTask.StoreUnavailableException"/>.
/// </summary>
internal static class StoreOutage
{
    public static Task BeginAsync(HubServer hub) => Store(hub).OnWriterConnectionAsync(c => Execute(c, "PRAGMA query_only = 1"));

    public static Task EndAsync(HubServer hub) => Store(hub).OnWriterConnectionAsync(c => Execute(c, "PRAGMA query_only = 0"));

    private static SqliteOrchestrationStore Store(HubServer hub) => (SqliteOrchestrationStore)hub.Services.GetRequiredService<IOrchestrationStore>();

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
