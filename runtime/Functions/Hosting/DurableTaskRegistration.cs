using Serverless.DurableTask.Client;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Serverless.DurableTask.Worker;
using Serverless.Functions.Configuration;
using Serverless.Functions.Durable;
using Serverless.Functions.Indexing;

namespace Serverless.Functions.Hosting;

/// <summary>
/// Every call the host makes to register Microsoft's worker and client and to hand them our store, in one place:
/// <c>services.AddDurableTaskWorker(b => ...)</c> with the discovered functions added to its
/// <see cref="DurableTaskRegistry"/>, host.json mapped onto <see cref="StoreDurableTaskWorkerOptions"/>, and
/// <c>services.AddDurableTaskClient(b => ...)</c>. The storage providers then call <c>UseSqlite</c>/<c>UsePostgres</c>
/// on both builders (<see cref="StorageProviderContext"/>). The worker and client are the default (unnamed) ones.
/// </summary>
internal static class DurableTaskRegistration
{
    public static (IDurableTaskWorkerBuilder Worker, IDurableTaskClientBuilder Client) Add(IServiceCollection services, FunctionCatalog catalog, DurableTaskHostOptions durable)
    {
        // The isolated Functions worker serializes with the web defaults (camelCase names, case-insensitive reads);
        // a host app that registers its own DataConverter service replaces this one.
        services.TryAddSingleton<DataConverter>(WebDataConverter);
        IDurableTaskWorkerBuilder? worker = null;
        IDurableTaskClientBuilder? client = null;
        services.AddDurableTaskWorker(b => worker = b);
        services.AddDurableTaskClient(b => client = b);

        // AddTasks configures the registry as named options; this does the same, with the service provider the
        // function adapters need to create their instances (Microsoft's orchestrator factories take none).
        services.AddOptions<DurableTaskRegistry>(worker!.Name).Configure<IServiceProvider>((registry, sp) => Register(catalog, registry, sp));
        services.AddOptions<StoreDurableTaskWorkerOptions>(worker.Name).Configure(o => ApplyHostJson(durable, o));
        if (durable.DefaultVersion is { } version)
        {
            // A rolling deploy: new instances carry this build's version, and work this build may not run waits for one that may.
            worker.UseVersioning(new DurableTaskWorkerOptions.VersioningOptions
            {
                Version = version,
                DefaultVersion = version,
                MatchStrategy = Enum.Parse<DurableTaskWorkerOptions.VersionMatchStrategy>(durable.VersionMatchStrategy ?? nameof(DurableTaskWorkerOptions.VersionMatchStrategy.CurrentOrOlder)),
                FailureStrategy = Enum.Parse<DurableTaskWorkerOptions.VersionFailureStrategy>(durable.VersionFailureStrategy ?? nameof(DurableTaskWorkerOptions.VersionFailureStrategy.Reject)),
            });
            services.AddOptions<StoreDurableTaskClientOptions>(client!.Name).Configure(o => o.DefaultVersion = version);
        }

        if (durable.MaxPayloadBytes is { } maxPayload)
        {
            services.AddOptions<StoreDurableTaskClientOptions>(client!.Name).Configure(o => o.MaxPayloadBytes = maxPayload);
        }

        return (worker, client!);
    }

    private static readonly DataConverter WebDataConverter = new Microsoft.DurableTask.Converters.JsonDataConverter(new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));

    /// <summary>Gets the registry the worker runs with: the discovered functions and what the app added with AddTasks.</summary>
    public static DurableTaskRegistry Registry(IServiceProvider services) =>
        services.GetRequiredService<IOptionsMonitor<DurableTaskRegistry>>().Get(Options.DefaultName);

    private static void Register(FunctionCatalog catalog, DurableTaskRegistry registry, IServiceProvider services)
    {
        foreach (var function in catalog.Functions)
        {
            switch (function.Trigger)
            {
                case FunctionTriggerType.Orchestration:
                    registry.AddOrchestrator(function.Name, () => new FunctionOrchestrator(function, services));
                    break;
                case FunctionTriggerType.Activity:
                    registry.AddActivity(function.Name, sp => new FunctionActivity(function, sp));
                    break;
                case FunctionTriggerType.Entity:
                    registry.AddEntity(function.Name, sp => new FunctionEntity(function, sp));
                    break;
                default:
                    break;
            }
        }

        foreach (var task in catalog.ClassTasks)
        {
            switch (task.Kind)
            {
                case FunctionTriggerType.Orchestration:
                    registry.AddOrchestrator(task.Name, task.Type);
                    break;
                case FunctionTriggerType.Activity:
                    registry.AddActivity(task.Name, task.Type);
                    break;
                default:
                    registry.AddEntity(task.Name, sp => (ITaskEntity)ActivatorUtilities.CreateInstance(sp, task.Type));
                    break;
            }
        }
    }

    private static void ApplyHostJson(DurableTaskHostOptions durable, StoreDurableTaskWorkerOptions options)
    {
        options.HubName = durable.HubName;
        options.MaxConcurrentActivityFunctions = durable.MaxConcurrentActivityFunctions ?? options.MaxConcurrentActivityFunctions;
        options.MaxConcurrentOrchestratorFunctions = durable.MaxConcurrentOrchestratorFunctions ?? options.MaxConcurrentOrchestratorFunctions;
        options.ExtendedSessionsEnabled = durable.ExtendedSessionsEnabled ?? options.ExtendedSessionsEnabled;
        options.ExtendedSessionIdleTimeout = durable.ExtendedSessionIdleTimeout ?? options.ExtendedSessionIdleTimeout;
        options.Retention = durable.Retention ?? options.Retention;
        options.ShutdownGracePeriod = durable.ShutdownGracePeriod ?? options.ShutdownGracePeriod;
        options.MaxPayloadBytes = durable.MaxPayloadBytes ?? options.MaxPayloadBytes;
    }
}
