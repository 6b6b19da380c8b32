using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Serverless.DurableTask.Worker;

namespace Serverless.Functions.Hosting;

/// <summary>Adds to the functions host after <c>AddFunctionsHost</c>.</summary>
public interface IFunctionsHostBuilder
{
    /// <summary>Gets the service collection.</summary>
    IServiceCollection Services { get; }

    /// <summary>Gets Microsoft's worker builder the host registered (the default, unnamed worker).</summary>
    IDurableTaskWorkerBuilder Worker { get; }

    /// <summary>Registers orchestrators, activities and entities in code, besides the discovered functions.</summary>
    IFunctionsHostBuilder AddTasks(Action<DurableTaskRegistry> configure);

    /// <summary>Adjusts the worker options after host.json was applied.</summary>
    IFunctionsHostBuilder ConfigureWorker(Action<StoreDurableTaskWorkerOptions> configure);
}

/// <summary>The host's <see cref="IFunctionsHostBuilder"/>.</summary>
internal sealed class FunctionsHostBuilder(IServiceCollection services, IDurableTaskWorkerBuilder worker) : IFunctionsHostBuilder
{
    public IServiceCollection Services => services;

    public IDurableTaskWorkerBuilder Worker => worker;

    public IFunctionsHostBuilder AddTasks(Action<DurableTaskRegistry> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        worker.AddTasks(configure);
        return this;
    }

    public IFunctionsHostBuilder ConfigureWorker(Action<StoreDurableTaskWorkerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.PostConfigure(worker.Name, configure);
        return this;
    }
}
