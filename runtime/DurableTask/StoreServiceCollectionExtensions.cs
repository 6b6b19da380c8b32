using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.DurableTask.Client;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Postgres;
using Serverless.DurableTask.Sqlite;
using Serverless.DurableTask.Worker;

namespace Serverless.DurableTask;

/// <summary>
/// Registers the one store that a process's worker and client share. The worker builder's and the client builder's
/// <c>UseSqlite</c>/<c>UsePostgres</c> both come here; the last call wins, so a worker and a client configured
/// alike end up on the same store instance.
/// </summary>
internal static class StoreServiceCollectionExtensions
{
    public static IServiceCollection AddSqliteOrchestrationStore(this IServiceCollection services, Action<SqliteStoreOptions>? configure)
    {
        services.AddOptions<SqliteStoreOptions>();
        services.AddOptions<StoreDurableTaskWorkerOptions>();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.RemoveAll<IOrchestrationStore>();
        services.AddSingleton<IOrchestrationStore>(sp =>
        {
            var worker = sp.GetRequiredService<IOptions<StoreDurableTaskWorkerOptions>>().Value;
            return new SqliteOrchestrationStore(worker.HubName, sp.GetRequiredService<IOptions<SqliteStoreOptions>>().Value, worker.LeaseDuration, worker.TimeProvider);
        });
        return services.AddStoreDiagnostics();
    }

    public static IServiceCollection AddPostgresOrchestrationStore(this IServiceCollection services, Action<PostgresStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PostgresStoreOptions>();
        services.AddOptions<StoreDurableTaskWorkerOptions>();
        services.Configure(configure);
        services.RemoveAll<IOrchestrationStore>();
        services.AddSingleton<IOrchestrationStore>(sp =>
        {
            var worker = sp.GetRequiredService<IOptions<StoreDurableTaskWorkerOptions>>().Value;
            return new PostgresOrchestrationStore(worker.HubName, sp.GetRequiredService<IOptions<PostgresStoreOptions>>().Value, worker.LeaseDuration, sp.GetService<ILoggerFactory>(), worker.TimeProvider);
        });
        return services.AddStoreDiagnostics();
    }

    private static IServiceCollection AddStoreDiagnostics(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new DurableStoreDiagnostics(sp.GetRequiredService<IOrchestrationStore>()));
        services.TryAddSingleton(sp => new DurableStoreChanges(sp.GetRequiredService<IOrchestrationStore>()));
        services.TryAddSingleton<Serverless.Functions.Hosting.IDurableStoreDiagnostics>(sp => sp.GetRequiredService<DurableStoreDiagnostics>());
        services.TryAddSingleton(sp => new DurableStoreMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<DurableStoreDiagnostics>()));
        return services;
    }
}
