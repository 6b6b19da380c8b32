using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.DurableTask.Client;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Postgres;
using Serverless.DurableTask.Sqlite;

namespace Serverless.DurableTask.Worker;

/// <summary>Configures a durable task worker.</summary>
public interface IDurableTaskWorkerBuilder
{
    /// <summary>Gets the service collection.</summary>
    IServiceCollection Services { get; }

    /// <summary>Registers orchestrators, activities and entities.</summary>
    IDurableTaskWorkerBuilder AddTasks(Action<DurableTaskRegistry> configure);

    /// <summary>Configures the worker options.</summary>
    IDurableTaskWorkerBuilder Configure(Action<DurableTaskWorkerOptions> configure);

    /// <summary>Uses the SQLite store (the default when no store is chosen).</summary>
    IDurableTaskWorkerBuilder UseSqlite(Action<SqliteStoreOptions>? configure = null);

    /// <summary>Uses the PostgreSQL store (several hosts sharing one database); the options must name a connection string.</summary>
    IDurableTaskWorkerBuilder UsePostgres(Action<PostgresStoreOptions> configure);
}

/// <summary>Service registration for the durable task worker and client.</summary>
public static class DurableTaskServiceCollectionExtensions
{
    /// <summary>
    /// Adds the worker (a hosted service), its store and a <see cref="DurableTaskClient"/> for the same store:
    /// <c>services.AddDurableTaskWorker(b => b.AddTasks(r => r.AddOrchestrator&lt;MyOrchestrator&gt;()).UseSqlite())</c>.
    /// </summary>
    public static IServiceCollection AddDurableTaskWorker(this IServiceCollection services, Action<IDurableTaskWorkerBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new Builder(services);
        services.AddOptions<DurableTaskWorkerOptions>();
        services.TryAddSingleton(new DurableTaskRegistry());
        configure(builder);
        if (!services.Any(d => d.ServiceType == typeof(IOrchestrationStore)))
        {
            builder.UseSqlite();
        }

        services.TryAddSingleton<DurableTaskClient>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<DurableTaskWorkerOptions>>().Value;
            return new StoreDurableTaskClient(sp.GetRequiredService<IOrchestrationStore>(), options.DataConverter, options.TimeProvider);
        });
        services.TryAddSingleton(sp => new DurableStoreDiagnostics(sp.GetRequiredService<IOrchestrationStore>()));
        services.TryAddSingleton(sp => new DurableTaskWorker(
            sp.GetRequiredService<IOrchestrationStore>(),
            sp.GetRequiredService<DurableTaskRegistry>(),
            sp,
            sp.GetRequiredService<IOptions<DurableTaskWorkerOptions>>(),
            sp.GetRequiredService<ILoggerFactory>()));
        services.AddHostedService(sp => sp.GetRequiredService<DurableTaskWorker>());
        return services;
    }

    private sealed class Builder(IServiceCollection services) : IDurableTaskWorkerBuilder
    {
        public IServiceCollection Services => services;

        public IDurableTaskWorkerBuilder AddTasks(Action<DurableTaskRegistry> configure)
        {
            ArgumentNullException.ThrowIfNull(configure);
            var registry = (DurableTaskRegistry?)services.FirstOrDefault(d => d.ServiceType == typeof(DurableTaskRegistry))?.ImplementationInstance;
            if (registry is null)
            {
                registry = new DurableTaskRegistry();
                services.AddSingleton(registry);
            }

            configure(registry);
            return this;
        }

        public IDurableTaskWorkerBuilder Configure(Action<DurableTaskWorkerOptions> configure)
        {
            services.Configure(configure);
            return this;
        }

        public IDurableTaskWorkerBuilder UseSqlite(Action<SqliteStoreOptions>? configure = null)
        {
            services.AddOptions<SqliteStoreOptions>();
            if (configure is not null)
            {
                services.Configure(configure);
            }

            services.RemoveAll<IOrchestrationStore>();
            services.AddSingleton<IOrchestrationStore>(sp =>
            {
                var worker = sp.GetRequiredService<IOptions<DurableTaskWorkerOptions>>().Value;
                return new SqliteOrchestrationStore(worker.HubName, sp.GetRequiredService<IOptions<SqliteStoreOptions>>().Value, worker.LeaseDuration, worker.TimeProvider);
            });
            return this;
        }

        public IDurableTaskWorkerBuilder UsePostgres(Action<PostgresStoreOptions> configure)
        {
            ArgumentNullException.ThrowIfNull(configure);
            services.AddOptions<PostgresStoreOptions>();
            services.Configure(configure);
            services.RemoveAll<IOrchestrationStore>();
            services.AddSingleton<IOrchestrationStore>(sp =>
            {
                var worker = sp.GetRequiredService<IOptions<DurableTaskWorkerOptions>>().Value;
                return new PostgresOrchestrationStore(worker.HubName, sp.GetRequiredService<IOptions<PostgresStoreOptions>>().Value, worker.LeaseDuration, sp.GetService<ILoggerFactory>());
            });
            return this;
        }
    }
}
