using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Serverless.DurableTask.Sqlite;
using Serverless.DurableTask.Client;
using Serverless.DurableTask.Worker;
using Serverless.Functions.Configuration;
using Serverless.Functions.Timers;

namespace Serverless.Functions.Hosting;

/// <summary>
/// The "sqlite" storage provider: the database is <c>&lt;data directory&gt;/&lt;hub&gt;.db</c>, or the file named by the
/// connection string (<c>Data Source=...</c> or a plain path). host.json may add <c>"synchronous": "full" | "normal"</c>.
/// </summary>
internal static class SqliteStorageProvider
{
    private const string SettingsPath = "$.extensions.durableTask.storageProvider";

    public static void Configure(StorageProviderContext context)
    {
        var environment = context.Environment;
        var synchronous = SqliteSynchronousMode.Full;
        foreach (var (name, value) in context.Options.Settings)
        {
            var path = HostJson.Child(SettingsPath, name);
            if (!string.Equals(name, "synchronous", StringComparison.OrdinalIgnoreCase))
            {
                throw HostJson.Unknown(path, "type, connectionStringName, synchronous");
            }

            synchronous = HostJson.String(value, path).ToUpperInvariant() switch
            {
                "FULL" => SqliteSynchronousMode.Full,
                "NORMAL" => SqliteSynchronousMode.Normal,
                var other => throw new HostJsonException(path, $"'{other.ToLowerInvariant()}' is not a SQLite synchronous mode; use \"full\" (survives power loss, the default) or \"normal\"."),
            };
        }

        var databasePath = context.ConnectionString is { Length: > 0 } connection
            ? Path.GetFullPath(DataSource(connection), environment.ContentRoot)
            : Path.Combine(environment.DataDirectory, environment.HubName + ".db");
        void Configure(SqliteStoreOptions s)
        {
            s.DatabasePath = databasePath;
            s.Synchronous = synchronous;
        }

        context.Worker.UseSqlite(Configure);
        context.Client.UseSqlite(Configure);
        context.Services.AddSingleton<ITimerScheduleStore>(new SqliteTimerScheduleStore(databasePath));
        context.Describe($"SQLite {databasePath} (synchronous={synchronous.ToString().ToLowerInvariant()})", databasePath);
    }

    private static string DataSource(string connection)
    {
        if (!connection.Contains('=', StringComparison.Ordinal))
        {
            return connection;
        }

        try
        {
            return new SqliteConnectionStringBuilder(connection).DataSource is { Length: > 0 } source
                ? source
                : throw new HostJsonException($"{SettingsPath}.connectionStringName", "the SQLite connection string has no Data Source.");
        }
        catch (ArgumentException ex)
        {
            throw new HostJsonException($"{SettingsPath}.connectionStringName", $"the SQLite connection string is not valid: {ex.Message}", ex);
        }
    }
}
