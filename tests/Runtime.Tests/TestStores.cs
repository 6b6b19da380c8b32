using System.Data.Common;
using System.Reflection;
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Npgsql;
using Serverless.DurableTask.Client;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Postgres;
using Serverless.DurableTask.Sqlite;
using Serverless.DurableTask.Worker;
using Xunit.Sdk;

namespace Serverless.Runtime.Tests;

/// <summary>The stores the conformance suite runs against.</summary>
public enum StoreKind
{
    Sqlite,
    Postgres,
}

/// <summary>Runs a theory once per store, with the store first and then the given arguments: <c>[Stores]</c>, <c>[Stores(true)]</c>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class StoresAttribute(params object?[] arguments) : DataAttribute
{
    public override IEnumerable<object?[]> GetData(MethodInfo testMethod) =>
        Enum.GetValues<StoreKind>().Select(kind => (object?[])[kind, .. arguments]);
}

/// <summary>
/// Where each test's data lives. Every test gets its own location: a directory with a SQLite file, or a PostgreSQL
/// schema named after that directory (so tests run in parallel without seeing each other's work, and a test that
/// restarts its hub reopens the same data).
/// </summary>
internal static class TestStores
{
    /// <summary>The environment variable with the test server's connection string (set by <c>scripts/test</c>, or by <c>eval "$(scripts/services env)"</c>).</summary>
    public const string PostgresVariable = "HUB_TEST_POSTGRES";

    public static string PostgresConnectionString =>
        Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"The PostgreSQL tests need a server: {PostgresVariable} is not set. Run scripts/test, or start one with `scripts/services start` and `eval \"$(scripts/services env)\"` before `dotnet test`.");

    public static string SchemaFor(string directory) => "t_" + Path.GetFileName(directory.TrimEnd('/')).ToLowerInvariant().Replace('-', '_');

    /// <summary>Puts a worker on the test's store (our <c>UseSqlite</c>/<c>UsePostgres</c> on Microsoft's builder).</summary>
    public static void Use(IDurableTaskWorkerBuilder builder, StoreKind kind, string directory)
    {
        switch (kind)
        {
            case StoreKind.Sqlite:
                builder.UseSqlite(s => s.DatabasePath = TestHub.DatabasePathIn(directory));
                break;
            case StoreKind.Postgres:
                var connectionString = PostgresConnectionString;
                builder.UsePostgres(p => ConfigurePostgres(p, connectionString, directory));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>Puts a client on the test's store; configured like the worker, it shares the worker's store instance.</summary>
    public static void Use(IDurableTaskClientBuilder builder, StoreKind kind, string directory)
    {
        switch (kind)
        {
            case StoreKind.Sqlite:
                builder.UseSqlite(s => s.DatabasePath = TestHub.DatabasePathIn(directory));
                break;
            case StoreKind.Postgres:
                var connectionString = PostgresConnectionString;
                builder.UsePostgres(p => ConfigurePostgres(p, connectionString, directory));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>Opens a bare store on a test's data, as another process would.</summary>
    public static IOrchestrationStore Open(StoreKind kind, string directory, TimeSpan lease) => kind switch
    {
        StoreKind.Sqlite => new SqliteOrchestrationStore("test", new SqliteStoreOptions { DatabasePath = TestHub.DatabasePathIn(directory) }, lease),
        _ => new PostgresOrchestrationStore("test", new PostgresStoreOptions { ConnectionString = PostgresConnectionString, SchemaName = SchemaFor(directory), MaxPoolSize = 10 }, lease),
    };

    /// <summary>Runs a statement on a test's data; <c>$id</c> is bound to <paramref name="instanceId"/>. Table and column names are the same in both stores.</summary>
    public static async Task<int> ExecuteAsync(StoreKind kind, string directory, string sql, string instanceId)
    {
        await using var connection = Connect(kind, directory);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = kind == StoreKind.Postgres ? sql.Replace("$id", "@id", StringComparison.Ordinal) : sql;
        var parameter = command.CreateParameter();
        parameter.ParameterName = kind == StoreKind.Postgres ? "id" : "$id";
        parameter.Value = instanceId;
        command.Parameters.Add(parameter);
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>Reads rows from a test's data.</summary>
    public static async Task<List<object?[]>> QueryAsync(StoreKind kind, string directory, string sql, string sqliteFile = "test.db")
    {
        await using var connection = Connect(kind, directory, sqliteFile);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var rows = new List<object?[]>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>Drops a test's PostgreSQL schema (best effort; the test server is thrown away anyway).</summary>
    public static async Task DropAsync(StoreKind kind, string directory)
    {
        if (kind != StoreKind.Postgres)
        {
            return;
        }

        try
        {
            await using var connection = Connect(kind, directory);
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"DROP SCHEMA IF EXISTS \"{SchemaFor(directory)}\" CASCADE";
            await command.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // Cleanup never fails a test.
        }
    }

    private static void ConfigurePostgres(PostgresStoreOptions options, string connectionString, string directory)
    {
        options.ConnectionString = connectionString;
        options.SchemaName = SchemaFor(directory);
        options.MaxPoolSize = 10;
    }

    private static DbConnection Connect(StoreKind kind, string directory, string sqliteFile = "test.db") => kind switch
    {
        StoreKind.Sqlite => new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory, sqliteFile), Pooling = false }.ToString()),
        _ => new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PostgresConnectionString) { SearchPath = SchemaFor(directory), Pooling = false }.ToString()),
    };
}
