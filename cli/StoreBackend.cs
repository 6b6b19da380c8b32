using System.Buffers;
using System.Text.Json;
using CompanyHub.Functions;
using CompanyHub.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serverless.DurableTask;
using Serverless.Functions.Hosting;
using Serverless.Functions.Management;

namespace CompanyHub.Cli;

/// <summary>
/// A stopped hub's store, opened the way the hub opens it (<see cref="CompanyHubApp.BuildDurableClient"/>: the same
/// host.json, settings and data directory) and read and changed through Microsoft's <see cref="DurableTaskClient"/>
/// over it, without the web host. The SQLite store holds an exclusive lock file while a hub runs on it, so opening it
/// then is refused (<see cref="DurableExitCodes.Conflict"/>); PostgreSQL is shared by design, so commands there work
/// beside running hubs, as another replica's client would.
/// </summary>
public sealed class StoreBackend : IDurableBackend
{
    private readonly WebApplication _app;
    private readonly DurableTaskClient _client;
    private readonly FunctionsHostEnvironment _environment;
    private readonly IAuditLog _audit;

    private StoreBackend(WebApplication app)
    {
        _app = app;
        _client = app.Services.GetRequiredService<DurableTaskClient>();
        _environment = app.Services.GetRequiredService<FunctionsHostEnvironment>();
        _audit = app.Services.GetRequiredService<IAuditLog>();
    }

    /// <summary>What the audit log says about a change made here, in place of the caller's address.</summary>
    public const string AuditDetail = "durable --data-dir (the store of a stopped hub)";

    public string Target => _environment.StorageDescription;

    /// <summary>Opens the store of the hub whose data directory is <paramref name="dataDirectory"/>, with the hub's settings (host.json, local.settings.json, environment).</summary>
    public static async Task<StoreBackend> OpenAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var directory = Path.GetFullPath(dataDirectory);
        if (!Directory.Exists(directory))
        {
            throw new DurableCommandException(DurableExitCodes.NotFound, $"There is no data directory at {directory}.");
        }

        // The command serves no HTTP: a throwaway host key keeps it from writing host-admin.key into the data directory.
        string[] args =
        [
            $"--{Serverless.Functions.Hosting.FunctionsHostBuilderExtensions.DataDirectorySetting}={directory}",
            $"--{Serverless.Functions.Security.HostKeys.SettingName}={Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}",
        ];
        var app = CompanyHubApp.BuildDurableClient(args);
        try
        {
            var environment = app.Services.GetRequiredService<FunctionsHostEnvironment>();
            if (environment.DatabasePath is { } file && !File.Exists(file))
            {
                // Opening would create an empty store: a mistyped directory must not look like a hub without instances.
                throw new DurableCommandException(DurableExitCodes.NotFound, $"There is no task hub store at {file} (task hub '{environment.HubName}').");
            }

            await app.Services.InitializeDurableStoreAsync(cancellationToken);
            return new StoreBackend(app);
        }
        catch (StoreInUseException ex)
        {
            await app.DisposeAsync();
            throw new DurableCommandException(DurableExitCodes.Conflict, $"{ex.Message} The hub is running on this data directory: use its management API (--url) instead, or stop it first.");
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public async Task<InstancePage> ListAsync(InstanceFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var query = new OrchestrationQuery
        {
            CreatedFrom = filter.CreatedAfter,
            CreatedTo = filter.CreatedBefore,
            Statuses = filter.Statuses.Count == 0 ? null : filter.Statuses,
            InstanceIdPrefix = filter.InstanceIdPrefix,
            PageSize = filter.Top,
            FetchInputsAndOutputs = true,
            ContinuationToken = filter.ContinuationToken,
        };
        await foreach (var page in _client.GetAllInstancesAsync(query).AsPages(filter.ContinuationToken, filter.Top).WithCancellation(cancellationToken))
        {
            return new InstancePage([.. page.Values.Select(m => Status(m, filter.ShowInput, null))], page.ContinuationToken);
        }

        return new InstancePage([], null);
    }

    public async Task<JsonElement> GetStatusAsync(string instanceId, bool showInput, bool history, CancellationToken cancellationToken)
    {
        var metadata = await RequireAsync(instanceId, cancellationToken);
        var events = history && metadata.RuntimeStatus != OrchestrationRuntimeStatus.Pending
            ? await _client.GetOrchestrationHistoryAsync(instanceId, cancellationToken)
            : history ? [] : null;
        return Status(metadata, showInput, events);
    }

    public async Task<string> StartAsync(string functionName, string? instanceId, JsonElement? input, CancellationToken cancellationToken)
    {
        var registry = _app.Services.GetRequiredService<IOptionsMonitor<DurableTaskRegistry>>().Get(Options.DefaultName);
        var name = registry.GetOrchestrators().Select(o => o.Key.Name).FirstOrDefault(n => string.Equals(n, functionName, StringComparison.OrdinalIgnoreCase))
            ?? throw new DurableCommandException(DurableExitCodes.Usage, $"The function '{functionName}' doesn't exist, is disabled, or is not an orchestrator function.");
        var id = string.IsNullOrEmpty(instanceId) ? Guid.NewGuid().ToString("N") : instanceId;
        return await AuditedAsync("post", $"/orchestrators/{name}/{id}", async () =>
        {
            try
            {
                return await _client.ScheduleNewOrchestrationInstanceAsync(name, input, new StartOrchestrationOptions(id), cancellationToken);
            }
            catch (OrchestrationAlreadyExistsException ex)
            {
                throw new DurableCommandException(DurableExitCodes.Conflict, ex.Message);
            }
            catch (ArgumentException ex)
            {
                throw new DurableCommandException(DurableExitCodes.Usage, ex.Message);
            }
        });
    }

    public Task RaiseEventAsync(string instanceId, string eventName, JsonElement? data, CancellationToken cancellationToken) =>
        AuditedAsync("post", $"/instances/{instanceId}/raiseEvent/{eventName}", () => ControlAsync(instanceId, () => _client.RaiseEventAsync(instanceId, eventName, data, cancellationToken)));

    public Task ControlAsync(string instanceId, InstanceOperation operation, string? reason, CancellationToken cancellationToken) =>
        AuditedAsync("post", $"/instances/{instanceId}/{operation.ToString().ToLowerInvariant()}", () => OperateAsync(instanceId, operation, reason, cancellationToken));

    private async Task OperateAsync(string instanceId, InstanceOperation operation, string? reason, CancellationToken cancellationToken)
    {
        switch (operation)
        {
            case InstanceOperation.Terminate:
                await ControlAsync(instanceId, () => _client.TerminateInstanceAsync(instanceId, reason, cancellationToken));
                break;
            case InstanceOperation.Suspend:
                await ControlAsync(instanceId, () => _client.SuspendInstanceAsync(instanceId, reason, cancellationToken));
                break;
            case InstanceOperation.Resume:
                await ControlAsync(instanceId, () => _client.ResumeInstanceAsync(instanceId, reason, cancellationToken));
                break;
            default:
                // As the management API: the store keeps no way to replay a failed instance from its last good step.
                var metadata = await RequireAsync(instanceId, cancellationToken);
                throw metadata.RuntimeStatus == OrchestrationRuntimeStatus.Failed
                    ? new DurableCommandException(DurableExitCodes.NotSupported, "Rewind is not supported by this host's storage provider; restart the instance instead.")
                    : new DurableCommandException(DurableExitCodes.Conflict, $"This orchestration has status {metadata.RuntimeStatus}, but only orchestrations in the \"Failed\" state can be rewound.");
        }
    }

    public Task<int> PurgeAsync(string instanceId, CancellationToken cancellationToken) => AuditedAsync("delete", $"/instances/{instanceId}", async () =>
    {
        var metadata = await RequireAsync(instanceId, cancellationToken);
        if (!metadata.IsCompleted)
        {
            throw new DurableCommandException(DurableExitCodes.Conflict, $"Only orchestrations in a terminal state can be purged, but the orchestration with instance ID {instanceId} has status {metadata.RuntimeStatus}.");
        }

        return (await _client.PurgeInstanceAsync(instanceId, cancellation: cancellationToken)).PurgedInstanceCount;
    });

    public Task<int> PurgeAsync(DateTimeOffset createdAfter, DateTimeOffset? createdBefore, IReadOnlyList<OrchestrationRuntimeStatus> statuses, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        var filter = new PurgeInstancesFilter(createdAfter, createdBefore ?? DateTimeOffset.UtcNow, statuses.Count == 0 ? null : statuses);
        return AuditedAsync("delete", "/instances", async () => (await _client.PurgeAllInstancesAsync(filter, cancellation: cancellationToken)).PurgedInstanceCount);
    }

    public async Task<IReadOnlyList<string>> DeleteTaskHubAsync(CancellationToken cancellationToken)
    {
        if (_environment.DatabasePath is not { } database)
        {
            throw new DurableCommandException(DurableExitCodes.NotSupported,
                $"delete-task-hub deletes a SQLite store only; this hub's store is {_environment.StorageDescription}. With every replica stopped, drop the task hub's schema there (docs/cli.md).");
        }

        // Opening the store proved that no hub holds it; closing it releases the lock, then the files go. The audit
        // log is a file of its own beside it and keeps the record.
        await _app.DisposeAsync();
        _disposed = true;
        return await AuditedAsync("delete", "/taskhub", () =>
        {
            var deleted = new List<string>();
            foreach (var file in new[] { database, database + "-wal", database + "-shm", database + ".lock" })
            {
                if (File.Exists(file))
                {
                    File.Delete(file);
                    deleted.Add(file);
                }
            }

            return Task.FromResult<IReadOnlyList<string>>(deleted);
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            await _app.DisposeAsync();
        }
    }

    private bool _disposed;

    /// <summary>
    /// Makes a change and records it in the hub's audit log as the management API's middleware records one made over
    /// HTTP (action <c>management.&lt;method&gt;</c>, the API path as target), with whether it was done or refused.
    /// </summary>
    private async Task<T> AuditedAsync<T>(string method, string target, Func<Task<T>> change)
    {
        string outcome = "failed";
        try
        {
            var result = await change();
            outcome = "ok";
            return result;
        }
        catch (DurableCommandException ex)
        {
            outcome = $"refused (exit code {ex.ExitCode})";
            throw;
        }
        finally
        {
            await _audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "admin", "management." + method, null, target, AuditDetail, null, outcome), CancellationToken.None);
        }
    }

    private Task AuditedAsync(string method, string target, Func<Task> change) =>
        AuditedAsync(method, target, async () =>
        {
            await change();
            return true;
        });

    private async Task<OrchestrationMetadata> RequireAsync(string instanceId, CancellationToken cancellationToken) =>
        await _client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken)
            ?? throw new DurableCommandException(DurableExitCodes.NotFound, $"No orchestration instance with id '{instanceId}' exists.");

    /// <summary>Runs a client call; an unknown instance ends with <see cref="DurableExitCodes.NotFound"/>, a finished one with <see cref="DurableExitCodes.Conflict"/>.</summary>
    private static async Task ControlAsync(string instanceId, Func<Task> operation)
    {
        try
        {
            await operation();
        }
        catch (OrchestrationNotFoundException)
        {
            throw new DurableCommandException(DurableExitCodes.NotFound, $"No orchestration instance with id '{instanceId}' exists.");
        }
        catch (OrchestrationStateConflictException ex)
        {
            throw new DurableCommandException(DurableExitCodes.Conflict, ex.Message);
        }
    }

    private static JsonElement Status(OrchestrationMetadata metadata, bool showInput, IEnumerable<global::DurableTask.Core.History.HistoryEvent>? history)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            DurableStatusJson.Write(writer, metadata, showInput, history, showHistoryOutput: true);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}
