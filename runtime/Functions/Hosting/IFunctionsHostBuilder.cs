using Microsoft.Extensions.DependencyInjection;
using Serverless.DurableTask.Worker;

namespace Serverless.Functions.Hosting;

/// <summary>Adds to the functions host after <c>AddFunctionsHost</c>.</summary>
public interface IFunctionsHostBuilder
{
    /// <summary>Gets the service collection.</summary>
    IServiceCollection Services { get; }

    /// <summary>Registers orchestrators, activities and entities in code, besides the discovered functions.</summary>
    IFunctionsHostBuilder AddTasks(Action<DurableTaskRegistry> configure);

    /// <summary>Adjusts the worker options after host.json was applied.</summary>
    IFunctionsHostBuilder ConfigureWorker(Action<DurableTaskWorkerOptions> configure);
}

/// <summary>The host's <see cref="IFunctionsHostBuilder"/>.</summary>
internal sealed class FunctionsHostBuilder(IServiceCollection services, DurableTaskRegistry registry) : IFunctionsHostBuilder
{
    public IServiceCollection Services => services;

    public IFunctionsHostBuilder AddTasks(Action<DurableTaskRegistry> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(registry);
        return this;
    }

    public IFunctionsHostBuilder ConfigureWorker(Action<DurableTaskWorkerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.PostConfigure(configure);
        return this;
    }
}
