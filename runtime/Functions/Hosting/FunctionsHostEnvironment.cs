using Serverless.Functions.Configuration;

namespace Serverless.Functions.Hosting;

/// <summary>What the host resolved at start-up: where its files are, which hub and store it uses, which settings it read.</summary>
public sealed class FunctionsHostEnvironment
{
    internal FunctionsHostEnvironment(string contentRoot, string dataDirectory, HostJsonOptions hostJson, string? hostJsonPath, string? localSettingsPath)
    {
        ContentRoot = contentRoot;
        DataDirectory = dataDirectory;
        HostJson = hostJson;
        HostJsonPath = hostJsonPath;
        LocalSettingsPath = localSettingsPath;
    }

    /// <summary>Gets the content root (where host.json and local.settings.json are looked for).</summary>
    public string ContentRoot { get; }

    /// <summary>Gets the data directory (setting <c>Host:DataDirectory</c>, default <c>.data</c> under the content root).</summary>
    public string DataDirectory { get; }

    /// <summary>Gets the parsed host.json.</summary>
    public HostJsonOptions HostJson { get; }

    /// <summary>Gets the host.json file that was read; null when there was none and defaults apply.</summary>
    public string? HostJsonPath { get; }

    /// <summary>Gets the local.settings.json file that was read; null when there was none.</summary>
    public string? LocalSettingsPath { get; }

    /// <summary>Gets the task hub name.</summary>
    public string HubName => HostJson.DurableTask.HubName;

    /// <summary>Gets the storage provider type ("sqlite" or "postgres").</summary>
    public string StorageProvider => HostJson.DurableTask.StorageProvider.Type;

    /// <summary>Gets the name reported as <c>connection</c> in management URLs.</summary>
    public string ConnectionName => HostJson.DurableTask.StorageProvider.ConnectionStringName ?? StorageProvider;

    /// <summary>Gets the route prefix of HTTP functions.</summary>
    public string RoutePrefix => HostJson.RoutePrefix;

    /// <summary>Gets the function timeout; null for none.</summary>
    public TimeSpan? FunctionTimeout => HostJson.FunctionTimeout;

    /// <summary>Gets the SQLite database file, when the store is SQLite.</summary>
    public string? DatabasePath { get; internal set; }

    /// <summary>Gets a one-line description of the store for the start-up printout.</summary>
    public string StorageDescription { get; internal set; } = string.Empty;
}
