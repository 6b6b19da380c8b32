using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.DurableTask.Client;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Worker;
using DtfxHistoryEvent = DurableTask.Core.History.HistoryEvent;

namespace Serverless.Runtime.Tests;

/// <summary>
/// A worker and client over a real store: a SQLite file in a temp directory, or a PostgreSQL schema named after it.
/// Registered the SDK's way: Microsoft's <c>AddDurableTaskWorker</c>/<c>AddDurableTaskClient</c> with our
/// <c>UseSqlite</c>/<c>UsePostgres</c>; tests talk to Microsoft's <see cref="DurableTaskClient"/>.
/// </summary>
internal sealed class TestHub : IAsyncDisposable
{
    /// <summary>How long any single wait in a test may take before the test fails.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly IHost _host;
    private readonly bool _ownsDirectory;
    private bool _disposed;

    private TestHub(IHost host, StoreKind kind, string directory, bool ownsDirectory)
    {
        _host = host;
        Kind = kind;
        Directory = directory;
        _ownsDirectory = ownsDirectory;
    }

    public StoreKind Kind { get; }

    public string Directory { get; }

    public string DatabasePath => DatabasePathIn(Directory);

    public IServiceProvider Services => _host.Services;

    /// <summary>Gets Microsoft's client (our store-backed implementation behind it).</summary>
    public DurableTaskClient Client => _host.Services.GetRequiredService<DurableTaskClient>();

    /// <summary>Gets the worker; Microsoft's builder registers it as a hosted service.</summary>
    public StoreDurableTaskWorker Worker => _host.Services.GetServices<IHostedService>().OfType<StoreDurableTaskWorker>().Single();

    /// <summary>Gets the store the worker and the client share (the engine's internal contract).</summary>
    public IOrchestrationStore Store => _host.Services.GetRequiredService<IOrchestrationStore>();

    public static string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hub-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        return dir;
    }

    public static string DatabasePathIn(string directory) => Path.Combine(directory, "test.db");

    /// <summary>Builds and starts a hub. Pass <paramref name="directory"/> to reopen the database of an earlier hub.</summary>
    public static async Task<TestHub> StartAsync(StoreKind kind, Action<DurableTaskRegistry> tasks, Action<StoreDurableTaskWorkerOptions>? options = null, string? directory = null, DurableTaskWorkerOptions.VersioningOptions? versioning = null)
    {
        var hub = Create(kind, tasks, options, directory, versioning);
        await hub.RunAsync();
        return hub;
    }

    /// <summary>Builds a hub without starting its worker, so a test can drive the store first.</summary>
    public static TestHub Create(StoreKind kind, Action<DurableTaskRegistry> tasks, Action<StoreDurableTaskWorkerOptions>? options = null, string? directory = null, DurableTaskWorkerOptions.VersioningOptions? versioning = null)
    {
        var dir = directory ?? NewDirectory();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddDurableTaskWorker(b =>
        {
            b.AddTasks(tasks).ConfigureStore(o =>
            {
                o.HubName = "test";
                o.ShutdownGracePeriod = TimeSpan.FromSeconds(2);
                options?.Invoke(o);
            });
            TestStores.Use(b, kind, dir);
            if (versioning is not null)
            {
                b.UseVersioning(versioning);
            }
        });
        builder.Services.AddDurableTaskClient(b => TestStores.Use(b, kind, dir));

        // One clock for the whole hub: the client stamps events and schedules on the worker's clock.
        builder.Services.AddOptions<StoreDurableTaskClientOptions>()
            .Configure<IOptions<StoreDurableTaskWorkerOptions>>((client, worker) => client.TimeProvider = worker.Value.TimeProvider);
        return new TestHub(builder.Build(), kind, dir, ownsDirectory: directory is null);
    }

    /// <summary>Starts the host (and so the worker).</summary>
    public Task RunAsync() => _host.StartAsync();

    public Task StopAsync() => _host.StopAsync();

    /// <summary>Waits for the instance to finish, with the default timeout, and returns it with inputs and outputs.</summary>
    public async Task<OrchestrationMetadata> WaitForCompletionAsync(string instanceId, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        return await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
    }

    /// <summary>Gets the history of the instance's current execution, as Microsoft's client returns it (DTFx events).</summary>
    public async Task<IList<DtfxHistoryEvent>> GetHistoryAsync(string instanceId)
    {
        using var cts = new CancellationTokenSource(DefaultTimeout);
        return await Client.GetOrchestrationHistoryAsync(instanceId, cts.Token);
    }

    /// <summary>Waits until the instance (null when it does not exist) satisfies <paramref name="condition"/>.</summary>
    public Task<OrchestrationMetadata?> WaitForInstanceAsync(string instanceId, Func<OrchestrationMetadata?, bool> condition, TimeSpan? timeout = null) =>
        WaitForChangeAsync(instanceId, ct => Client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, ct), condition, timeout);

    /// <summary>Waits until the history of the instance's current execution satisfies <paramref name="condition"/>.</summary>
    public Task<IList<DtfxHistoryEvent>> WaitForHistoryAsync(string instanceId, Func<IList<DtfxHistoryEvent>, bool> condition, TimeSpan? timeout = null) =>
        WaitForChangeAsync(instanceId, ct => Client.GetOrchestrationHistoryAsync(instanceId, ct), condition, timeout);

    /// <summary>Waits until the entity (null when it does not exist) satisfies <paramref name="condition"/>.</summary>
    public Task<EntityMetadata?> WaitForEntityAsync(EntityInstanceId id, Func<EntityMetadata?, bool> condition, TimeSpan? timeout = null) =>
        WaitForChangeAsync(id.ToString(), ct => Client.Entities.GetEntityAsync(id, includeState: true, ct), condition, timeout);

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _host.StopAsync();
        if (_host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else
        {
            _host.Dispose();
        }

        if (_ownsDirectory)
        {
            await TestStores.DropAsync(Kind, Directory);
            TempDirectory.TryDelete(Directory);
        }
    }

    /// <summary>
    /// Reads, checks, and if the check fails waits for the store to report a change of the instance row, then reads
    /// again. No polling delay: every commit that touches the instance wakes the wait.
    /// </summary>
    private async Task<T> WaitForChangeAsync<T>(string instanceId, Func<CancellationToken, Task<T>> read, Func<T, bool> condition, TimeSpan? timeout)
    {
        var limit = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        T value = default!;
        try
        {
            while (true)
            {
                // Register before reading, so a change between the read and the wait is not missed.
                using var change = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
                var changed = Store.WaitForInstanceChangeAsync(instanceId, change.Token);
                value = await read(cts.Token);
                if (condition(value))
                {
                    await change.CancelAsync();
                    return value;
                }

                await changed;
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"'{instanceId}' did not reach the expected state within {limit}; last read: {Describe(value)}.");
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "null",
        OrchestrationMetadata m => $"{m.RuntimeStatus}, custom status {m.SerializedCustomStatus ?? "none"}, output {m.SerializedOutput ?? "none"}, failure {Describe(m.FailureDetails)}",
        TaskFailureDetails f => $"{f.ErrorType}: {f.ErrorMessage}",
        EntityMetadata e => $"state {(e.IncludesState ? e.State.Value : "not read")}, backlog {e.BacklogQueueSize}",
        IList<DtfxHistoryEvent> h => string.Join(", ", h.Select(e => e.EventType)),
        _ => value.ToString() ?? "?",
    };
}
