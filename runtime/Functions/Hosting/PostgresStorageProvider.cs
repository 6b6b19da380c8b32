using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Serverless.DurableTask.Client;
using Serverless.DurableTask.Postgres;
using Serverless.DurableTask.Worker;
using Serverless.Functions.Configuration;
using Serverless.Functions.Timers;

namespace Serverless.Functions.Hosting;

/// <summary>
/// The "postgres" storage provider, named like the settings of the Durable Functions SQL Server provider: the
/// connection string is the app setting or connection string named by <c>connectionStringName</c> (default
/// <see cref="DefaultConnectionStringName"/>); host.json may add <c>"schemaName"</c> (default: derived from the hub
/// name), <c>"taskEventLockTimeout"</c> (the lease, "hh:mm:ss"), <c>"taskEventBatchSize"</c> (work items leased
/// per query) and <c>"flushLeaseCommits"</c> (leases and activity results wait for their own WAL flush). Several hosts with the same settings share the task hub.
/// </summary>
internal static class PostgresStorageProvider
{
    /// <summary>The app setting read when host.json names none.</summary>
    public const string DefaultConnectionStringName = "POSTGRES_CONNECTION";

    private const string SettingsPath = "$.extensions.durableTask.storageProvider";
    private const string Known = "type, connectionStringName, schemaName, taskEventLockTimeout, taskEventBatchSize, flushLeaseCommits";

    public static void Configure(StorageProviderContext context)
    {
        var environment = context.Environment;
        string? schema = null;
        TimeSpan? lease = null;
        int? batchSize = null;
        var flushLeases = false;
        foreach (var (name, value) in context.Options.Settings)
        {
            var path = HostJson.Child(SettingsPath, name);
            switch (name.ToUpperInvariant())
            {
                case "SCHEMANAME":
                    schema = HostJson.String(value, path);
                    if (!PostgresStoreOptions.IsValidSchemaName(schema))
                    {
                        throw new HostJsonException(path, $"'{schema}' is not a schema name this host uses: {PostgresStoreOptions.SchemaNameRule}.");
                    }

                    break;
                case "TASKEVENTLOCKTIMEOUT":
                    lease = TimeSpan.TryParse(HostJson.String(value, path), System.Globalization.CultureInfo.InvariantCulture, out var parsed) && parsed >= TimeSpan.FromSeconds(1)
                        ? parsed
                        : throw new HostJsonException(path, "expected a duration of at least one second, \"hh:mm:ss\".");
                    break;
                case "TASKEVENTBATCHSIZE":
                    batchSize = value.ValueKind == System.Text.Json.JsonValueKind.Number && value.TryGetInt32(out var size) && size is >= 1 and <= 1000
                        ? size
                        : throw new HostJsonException(path, "expected a whole number from 1 to 1000.");
                    break;
                case "FLUSHLEASECOMMITS":
                    flushLeases = HostJson.Bool(value, path);
                    break;
                default:
                    throw HostJson.Unknown(path, Known);
            }
        }

        var settingName = context.Options.ConnectionStringName ?? DefaultConnectionStringName;
        var connectionString = context.ConnectionString
            ?? throw new HostJsonException($"{SettingsPath}.connectionStringName", $"the postgres storage provider needs a connection string: set the app setting (or connection string) '{settingName}', or name another one in connectionStringName.");
        NpgsqlConnectionStringBuilder parsedConnection;
        try
        {
            parsedConnection = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            // The exception text may quote the value, and the value may hold a password: say only where to look.
            throw new HostJsonException($"{SettingsPath}.connectionStringName", $"the PostgreSQL connection string in '{settingName}' is not valid (expected Host=...;Database=...;Username=...;Password=...).");
        }

        var schemaName = schema ?? PostgresStoreOptions.SchemaFor(environment.HubName);
        if (lease is { } leaseDuration)
        {
            context.Services.Configure<StoreDurableTaskWorkerOptions>(context.Worker.Name, o => o.LeaseDuration = leaseDuration);
        }

        void Configure(PostgresStoreOptions p)
        {
            p.ConnectionString = connectionString;
            p.SchemaName = schemaName;
            p.FlushLeaseCommits = flushLeases;
            if (batchSize is { } batch)
            {
                p.MaxBatchSize = batch;
            }
        }

        context.Worker.UsePostgres(Configure);
        context.Client.UsePostgres(Configure);
        var shared = new SharedPostgresDatabase(connectionString, schemaName);
        context.Services.AddSingleton(shared);
        context.Services.AddSingleton<ITimerScheduleStore>(new PostgresTimerScheduleStore(shared.DataSource));
        context.Describe($"PostgreSQL {parsedConnection.Host}:{parsedConnection.Port}/{parsedConnection.Database} schema {schemaName}");
    }
}
