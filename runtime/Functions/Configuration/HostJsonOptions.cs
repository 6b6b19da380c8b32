using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Serverless.Functions.Configuration;

/// <summary>The settings read from host.json (Azure Functions schema, version 2.0, the part this host supports).</summary>
public sealed class HostJsonOptions
{
    /// <summary>Gets the schema version; always "2.0".</summary>
    public string Version { get; init; } = "2.0";

    /// <summary>Gets the longest an HTTP, activity, entity or timer invocation may run; null for no limit. Default is 30 minutes.</summary>
    public TimeSpan? FunctionTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Gets the minimum log level per category prefix (<c>logging.logLevel</c>; "default" is every category).</summary>
    public IReadOnlyDictionary<string, LogLevel> LogLevels { get; init; } = new Dictionary<string, LogLevel>();

    /// <summary>Gets the prefix of every HTTP function route (<c>extensions.http.routePrefix</c>). Default is "api".</summary>
    public string RoutePrefix { get; init; } = "api";

    /// <summary>Gets the durable task settings (<c>extensions.durableTask</c>).</summary>
    public DurableTaskHostOptions DurableTask { get; init; } = new();
}

/// <summary>The <c>extensions.durableTask</c> section of host.json.</summary>
public sealed class DurableTaskHostOptions
{
    /// <summary>Gets the task hub name. Default is "CompanyHub".</summary>
    public string HubName { get; init; } = "CompanyHub";

    /// <summary>Gets the storage provider settings.</summary>
    public StorageProviderOptions StorageProvider { get; init; } = new();

    /// <summary>Gets how many activities run at once; null for the worker's default.</summary>
    public int? MaxConcurrentActivityFunctions { get; init; }

    /// <summary>Gets how many orchestration and entity steps run at once; null for the worker's default.</summary>
    public int? MaxConcurrentOrchestratorFunctions { get; init; }

    /// <summary>Gets whether idle orchestrations stay cached between steps; null for the worker's default (true).</summary>
    public bool? ExtendedSessionsEnabled { get; init; }

    /// <summary>Gets how long a cached orchestration may stay idle; null for the worker's default.</summary>
    public TimeSpan? ExtendedSessionIdleTimeout { get; init; }

    /// <summary>Gets how long finished instances are kept (<see cref="Timeout.InfiniteTimeSpan"/> keeps them); null for the worker's default (30 days).</summary>
    public TimeSpan? Retention { get; init; }

    /// <summary>Gets how long running activities may finish when the host stops; null for the worker's default (10 seconds).</summary>
    public TimeSpan? ShutdownGracePeriod { get; init; }

    /// <summary>Gets the largest input, output, event or signal the hub stores, in bytes; null for the default (4 MiB).</summary>
    public int? MaxPayloadBytes { get; init; }

    /// <summary>
    /// Gets this build's orchestration version (Durable Functions' <c>defaultVersion</c>): new orchestrations are stamped
    /// with it and, with <see cref="VersionMatchStrategy"/>, the worker leaves newer ones for a build that has them. Null: no versioning.
    /// </summary>
    public string? DefaultVersion { get; init; }

    /// <summary>Gets which versions this build runs: None, Strict or CurrentOrOlder (the default when a version is set).</summary>
    public string? VersionMatchStrategy { get; init; }

    /// <summary>Gets what happens to an instance this build may not run: Reject (left for another build, the default) or Fail.</summary>
    public string? VersionFailureStrategy { get; init; }
}

/// <summary>The <c>extensions.durableTask.storageProvider</c> section of host.json.</summary>
public sealed class StorageProviderOptions
{
    /// <summary>Gets the provider type, lower case: "sqlite" (default) or "postgres".</summary>
    public string Type { get; init; } = "sqlite";

    /// <summary>Gets the name of the app setting (or connection string) that holds the connection; null for the provider's default.</summary>
    public string? ConnectionStringName { get; init; }

    /// <summary>Gets the provider-specific settings (every other key of the section), by name.</summary>
    public IReadOnlyDictionary<string, JsonElement> Settings { get; init; } = new Dictionary<string, JsonElement>();
}
