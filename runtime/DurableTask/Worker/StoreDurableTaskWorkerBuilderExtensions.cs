using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.DurableTask.Postgres;
using Serverless.DurableTask.Sqlite;

namespace Serverless.DurableTask.Worker;

/// <summary>
/// Puts Microsoft's durable task worker on our stores, the way the SDK's own transports plug in:
/// <c>services.AddDurableTaskWorker(b => b.AddTasks(r => ...).UseSqlite())</c>.
/// </summary>
public static class StoreDurableTaskWorkerBuilderExtensions
{
    /// <summary>Runs the worker on the embedded SQLite store.</summary>
    public static IDurableTaskWorkerBuilder UseSqlite(this IDurableTaskWorkerBuilder builder, Action<SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSqliteOrchestrationStore(configure);
        return builder.UseStore();
    }

    /// <summary>Runs the worker on a PostgreSQL store (several replicas may share its schema).</summary>
    public static IDurableTaskWorkerBuilder UsePostgres(this IDurableTaskWorkerBuilder builder, Action<PostgresStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddPostgresOrchestrationStore(configure);
        return builder.UseStore();
    }

    /// <summary>Configures the store-backed worker (hub name, concurrency, leases, sessions, retention, ...).</summary>
    public static IDurableTaskWorkerBuilder ConfigureStore(this IDurableTaskWorkerBuilder builder, Action<StoreDurableTaskWorkerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(builder.Name, configure);
        if (builder.Name != Options.DefaultName)
        {
            builder.Services.Configure(configure);
        }

        return builder;
    }

    private static IDurableTaskWorkerBuilder UseStore(this IDurableTaskWorkerBuilder builder)
    {
        // Entities on, and no splitting of long timers (our stores keep any due time). UseBuildTarget copies these
        // base options onto ours after configuration, so they are set on the base options.
        builder.Configure(o =>
        {
            o.EnableEntitySupport = true;
            o.MaximumTimerInterval = TimeSpan.FromDays(3650);
        });

        // The replay engine asks the service provider for its shim factory; ours carries the worker's options
        // (entity support, data converter).
        builder.Services.TryAddSingleton(sp => new DurableTaskShimFactory(
            sp.GetRequiredService<IOptionsMonitor<StoreDurableTaskWorkerOptions>>().Get(builder.Name),
            sp.GetRequiredService<ILoggerFactory>()));
        return builder.UseBuildTarget<StoreDurableTaskWorker, StoreDurableTaskWorkerOptions>();
    }
}
