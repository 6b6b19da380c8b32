using Microsoft.Extensions.DependencyInjection;
using Serverless.DurableTask.Engine;

namespace Serverless.DurableTask;

/// <summary>Opens the durable store ahead of the host's start, so a store that cannot be opened stops the start plainly.</summary>
public static class DurableStoreStartup
{
    /// <summary>
    /// Opens the store the worker and client share (creating or upgrading its schema). Throws
    /// <see cref="StoreCorruptException"/> for a damaged file and <see cref="Upgrade.StoreUpgradeException"/> for data of
    /// an earlier release that cannot be taken over; the worker's own start then finds the store open.
    /// </summary>
    public static Task InitializeDurableStoreAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.GetRequiredService<IOrchestrationStore>().InitializeAsync(cancellationToken);
    }
}
