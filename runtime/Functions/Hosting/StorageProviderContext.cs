using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Configuration;

namespace Serverless.Functions.Hosting;

/// <summary>What a storage provider gets to set up the store from host.json.</summary>
public sealed class StorageProviderContext
{
    internal StorageProviderContext(IDurableTaskWorkerBuilder worker, IDurableTaskClientBuilder client, StorageProviderOptions options, string? connectionString, FunctionsHostEnvironment environment)
    {
        Worker = worker;
        Client = client;
        Options = options;
        ConnectionString = connectionString;
        Environment = environment;
    }

    /// <summary>Gets Microsoft's worker builder (call the store's <c>UseXxx</c> on it).</summary>
    public IDurableTaskWorkerBuilder Worker { get; }

    /// <summary>Gets Microsoft's client builder (call the same store's <c>UseXxx</c> on it).</summary>
    public IDurableTaskClientBuilder Client { get; }

    /// <summary>Gets the service collection.</summary>
    public IServiceCollection Services => Worker.Services;

    /// <summary>Gets the <c>storageProvider</c> section of host.json.</summary>
    public StorageProviderOptions Options { get; }

    /// <summary>Gets the connection string named by <c>connectionStringName</c> (from <c>ConnectionStrings:Name</c> or the setting <c>Name</c>); null when no name is given.</summary>
    public string? ConnectionString { get; }

    /// <summary>Gets the host environment; set <see cref="FunctionsHostEnvironment.StorageDescription"/> through <see cref="Describe"/>.</summary>
    public FunctionsHostEnvironment Environment { get; }

    /// <summary>Sets the one-line description of the store shown at start-up (no secrets).</summary>
    public void Describe(string description, string? databasePath = null)
    {
        Environment.StorageDescription = description;
        Environment.DatabasePath = databasePath;
    }
}
