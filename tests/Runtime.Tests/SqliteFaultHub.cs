using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.DurableTask.Client;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Sqlite;
using Serverless.DurableTask.Worker;
using DtfxHistoryEvent = DurableTask.Core.History.HistoryEvent;

namespace Serverless.Runtime.Tests;

/// <summary>
/// A worker and client over a SQLite file, for the fault tests that reach into the SQLite store (its writer connection,
/// its clock): the store under test, every log line the runtime writes, and polling waits.
/// </summary>
internal sealed class SqliteFaultHub : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly string _directory;

    private SqliteFaultHub(IHost host, string directory, LogLines logs)
    {
        _host = host;
        _directory = directory;
        Logs = logs;
    }

    public DurableTaskClient Client => _host.Services.GetRequiredService<DurableTaskClient>();

    public SqliteOrchestrationStore Store => (SqliteOrchestrationStore)_host.Services.GetRequiredService<IOrchestrationStore>();

    public string DatabasePath => Path.Combine(_directory, "faults.db");

    public LogLines Logs { get; }

    public static async Task<SqliteFaultHub> StartAsync(Action<DurableTaskRegistry> tasks, Action<StoreDurableTaskWorkerOptions>? options = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "hub-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var logs = new LogLines();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        var databasePath = Path.Combine(directory, "faults.db");
        builder.Services.AddDurableTaskWorker(b => b
            .AddTasks(tasks)
            .ConfigureStore(o =>
            {
                o.HubName = "faults";
                o.ShutdownGracePeriod = TimeSpan.FromSeconds(2);
                options?.Invoke(o);
            })
            .UseSqlite(s => s.DatabasePath = databasePath));
        builder.Services.AddDurableTaskClient(b => b.UseSqlite(s => s.DatabasePath = databasePath));

        // One clock for the whole hub, as before the SDK: the client stamps events and schedules on the worker's clock
        // (the clock-jump test moves it).
        builder.Services.AddOptions<StoreDurableTaskClientOptions>()
            .Configure<IOptions<StoreDurableTaskWorkerOptions>>((client, worker) => client.TimeProvider = worker.Value.TimeProvider);
        var hub = new SqliteFaultHub(builder.Build(), directory, logs);
        await hub._host.StartAsync();
        return hub;
    }

    /// <summary>Waits for the instance to finish and returns it with its output.</summary>
    public async Task<OrchestrationMetadata> WaitForCompletionAsync(string instanceId, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        return await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
    }

    /// <summary>Polls the instance's history until <paramref name="condition"/> holds.</summary>
    public async Task WaitForHistoryAsync(string instanceId, Func<IList<DtfxHistoryEvent>, bool> condition, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (!condition(await Client.GetOrchestrationHistoryAsync(instanceId, CancellationToken.None)))
        {
            if (cts.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting for the history of {instanceId}.");
            }

            await Task.Delay(25, CancellationToken.None);
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);

    /// <summary>Polls until <paramref name="condition"/> holds.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (cts.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        TempDirectory.TryDelete(_directory);
    }
}
