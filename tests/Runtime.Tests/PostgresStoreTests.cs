using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Worker;
using Serverless.DurableTask;
using Serverless.DurableTask.Client;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Postgres;
using Serverless.DurableTask.Worker;
using Xunit.Abstractions;

namespace Serverless.Runtime.Tests;

/// <summary>What only the PostgreSQL store does: hosts sharing one schema, migrations racing, the database going away.</summary>
public sealed class PostgresStoreTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Initialize_SixStoresAtOnceOnAnEmptySchema_MigratedOnceAndAllReady()
    {
        // Arrange
        using var location = new TempDirectory();
        var stores = Enumerable.Range(0, 6).Select(_ => (PostgresOrchestrationStore)TestStores.Open(StoreKind.Postgres, location.Path, TimeSpan.FromSeconds(30))).ToList();
        try
        {
            // Act
            await Task.WhenAll(stores.Select(s => s.InitializeAsync(CancellationToken.None)));

            // Assert: one row per script, and every store sees a current schema.
            var versions = await TestStores.QueryAsync(StoreKind.Postgres, location.Path, "SELECT version, count(*) FROM schema_versions GROUP BY version");
            Assert.All(versions, row => Assert.Equal(1L, row[1]));
            Assert.Equal(PostgresMigrations.LatestVersion, versions.Count);
            foreach (var store in stores)
            {
                Assert.True(await WaitUntilAsync(() => store.IsReadyAsync(CancellationToken.None), TimeSpan.FromSeconds(10)), "a store never became ready");
            }
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Migration_ProcessKilledInsideTheTransaction_NothingHalfAppliedAndNextStartMigrates()
    {
        // Arrange: a worker process armed to die inside the migration transaction.
        using var location = new TempDirectory();
        var schema = TestStores.SchemaFor(location.Path);
        using (var crashing = CrashWorkerProcess.Start(location.Path, 1, schema, crashPoint: CrashPoints.DuringMigration))
        {
            var stderr = await crashing.StandardError.ReadToEndAsync();
            await crashing.WaitForExitAsync();

            // Assert 1: killed at the point, and the transaction left nothing behind.
            Assert.NotEqual(0, crashing.ExitCode);
            Assert.Contains("crash point 'store.migration' reached", stderr, StringComparison.Ordinal);
            var tables = await TestStores.QueryAsync(StoreKind.Postgres, location.Path, $"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{schema}'");
            Assert.Equal(0L, tables[0][0]);
        }

        // Act
        using var next = CrashWorkerProcess.Start(location.Path, 1, schema);
        var text = await next.StandardOutput.ReadToEndAsync();
        await next.WaitForExitAsync();

        // Assert 2
        Assert.Equal(0, next.ExitCode);
        Assert.Contains("DONE", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoHosts_OneSchema_ShareTheWorkAndRunEachActivityOnce()
    {
        // Arrange: two hubs on one schema, two activity slots each, activities slow enough that one host cannot keep up alone.
        const int Instances = 24;
        var runs = new ConcurrentDictionary<string, ConcurrentBag<string>>();
        void Tasks(DurableTaskRegistry r, string host) => r
            .AddActivityFunc<int, int>("Slow", async (ctx, x) =>
            {
                runs.GetOrAdd(ctx.Store().IdempotencyKey, _ => []).Add(host);
                await Task.Delay(150);
                return x * 2;
            })
            .AddOrchestratorFunc<int, int>("Doubles", (ctx, x) => ctx.CallActivityAsync<int>("Slow", x));
        using var location = new TempDirectory();
        await using var a = await TestHub.StartAsync(StoreKind.Postgres, r => Tasks(r, "a"), o => o.MaxConcurrentActivityFunctions = 2, location.Path);
        await using var b = await TestHub.StartAsync(StoreKind.Postgres, r => Tasks(r, "b"), o => o.MaxConcurrentActivityFunctions = 2, location.Path);

        // Act
        var ids = new List<string>();
        for (var i = 0; i < Instances; i++)
        {
            ids.Add(await (i % 2 == 0 ? a : b).Client.ScheduleNewOrchestrationInstanceAsync("Doubles", i));
        }

        var results = new List<int>();
        foreach (var id in ids)
        {
            results.Add((await a.WaitForCompletionAsync(id, TimeSpan.FromSeconds(30))).ReadOutputAs<int>());
        }

        // Assert
        Assert.Equal(Enumerable.Range(0, Instances).Select(i => i * 2), results);
        Assert.Equal(Instances, runs.Count);
        Assert.All(runs.Values, hosts => Assert.Single(hosts));
        var byHost = runs.Values.SelectMany(h => h).GroupBy(h => h).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"activities run by host a: {byHost.GetValueOrDefault("a")}, by host b: {byHost.GetValueOrDefault("b")}");
        Assert.True(byHost.GetValueOrDefault("a") > 0 && byHost.GetValueOrDefault("b") > 0, "one host did all the work");
    }

    [Fact]
    public Task DatabaseStoppedUnderLoad_HostReportsUnreadyRetriesAndEverythingCompletesOnce() =>
        RunThroughOutageAsync("fast", TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("HUB_TEST_PG_OUTAGE_SECONDS"), CultureInfo.InvariantCulture, out var seconds) ? seconds : 30));

    /// <summary>
    /// The server crashes (an immediate stop: no checkpoint, recovery at the next start) under load. Leases and
    /// activity results commit without waiting for the WAL flush, so the crash may take the last of them: that work
    /// must be offered (or run) again, and every instance still completes with its exact output, every signal once.
    /// </summary>
    [Fact]
    public Task DatabaseCrashedUnderLoad_LeasesAndResultsLostWithTheCrashAreRedoneAndEverythingCompletesOnce() =>
        RunThroughOutageAsync("immediate", TimeSpan.FromSeconds(5));

    private async Task RunThroughOutageAsync(string stopMode, TimeSpan outage)
    {
        // Arrange: a PostgreSQL server of this test's own (stopping the shared one would break the other tests),
        // and a hub running chains of activities, timers and entity signals on it.
        const int Instances = 40;
        await using var server = await OwnServer.StartAsync();
        var executions = new ConcurrentDictionary<string, int>();
        void OnOwnServer(PostgresStoreOptions p)
        {
            p.ConnectionString = server.ConnectionString;
            p.MaxRetryDelay = TimeSpan.FromSeconds(2);
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddDurableTaskWorker(b => b
            .AddTasks(r => r
                .AddActivityFunc<int, int>("Step", async (ctx, x) =>
                {
                    executions.AddOrUpdate(ctx.Store().IdempotencyKey, 1, (_, n) => n + 1);
                    await Task.Delay(100);
                    return x + 1;
                })
                .AddOrchestratorFunc<int, int>("Chain", async (ctx, x) =>
                {
                    for (var i = 0; i < 3; i++)
                    {
                        x = await ctx.CallActivityAsync<int>("Step", x);
                    }

                    await ctx.CreateTimer(TimeSpan.FromSeconds(2), CancellationToken.None);
                    x = await ctx.CallActivityAsync<int>("Step", x);
                    await ctx.Entities.SignalEntityAsync(new EntityInstanceId(nameof(Counter), "outage"), "Add", 1);
                    return x;
                })
                .AddEntity<Counter>())
            .ConfigureStore(o =>
            {
                o.HubName = "outage";
                o.MaxConcurrentActivityFunctions = 8;
                o.ShutdownGracePeriod = TimeSpan.FromSeconds(2);
            })
            .UsePostgres(OnOwnServer));
        builder.Services.AddDurableTaskClient(b => b.UsePostgres(OnOwnServer));
        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<DurableTaskClient>();
        var store = host.Services.GetRequiredService<IOrchestrationStore>();
        var ids = new List<string>();
        for (var i = 0; i < Instances; i++)
        {
            ids.Add(await client.ScheduleNewOrchestrationInstanceAsync("Chain", i * 100));
        }

        await Task.Delay(700);
        var finishedBefore = 0;
        foreach (var id in ids)
        {
            finishedBefore += (await client.GetInstanceAsync(id))!.IsCompleted ? 1 : 0;
        }

        // Act 1: the database goes away under load.
        var clock = Stopwatch.StartNew();
        await server.StopAsync(stopMode);
        var unready = await WaitUntilAsync(async () => !await store.IsReadyAsync(CancellationToken.None), TimeSpan.FromSeconds(10));
        await Task.Delay(outage - clock.Elapsed > TimeSpan.Zero ? outage - clock.Elapsed : TimeSpan.Zero);
        var stillUnready = !await store.IsReadyAsync(CancellationToken.None);

        // Act 2: it comes back.
        await server.StartAgainAsync();
        var ready = await WaitUntilAsync(() => store.IsReadyAsync(CancellationToken.None), TimeSpan.FromSeconds(30));
        output.WriteLine($"down {clock.Elapsed.TotalSeconds:F1} s (to ready again); {finishedBefore} of {Instances} instances had finished before the stop");
        var results = new List<int>();
        foreach (var id in ids)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, cts.Token);
            Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{id}: {done.RuntimeStatus} {done.FailureDetails}");
            results.Add(done.ReadOutputAs<int>());
        }

        using var entityTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var counter = await WaitUntilValueAsync(async () => (await client.Entities.GetEntityAsync<int>(new EntityInstanceId(nameof(Counter), "outage"), entityTimeout.Token))?.State ?? 0, v => v == Instances, entityTimeout.Token);
        await host.StopAsync();

        // Assert
        Assert.True(finishedBefore < Instances, "every instance finished before the database stopped; the test proved nothing");
        Assert.True(unready, "the store did not report unready while the database was stopped");
        Assert.True(stillUnready, "the store reported ready at the end of the outage");
        Assert.True(ready, "the store did not become ready after the database came back");
        Assert.Equal(Enumerable.Range(0, Instances).Select(i => (i * 100) + 4), results);
        Assert.Equal(Instances, counter);
        Assert.Equal(Instances * 4, executions.Count);
        output.WriteLine($"{executions.Values.Sum() - executions.Count} activity re-executions (at-least-once) across the outage");
    }

    private static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }

    private static async Task<T> WaitUntilValueAsync<T>(Func<Task<T>> read, Func<T, bool> done, CancellationToken cancellationToken)
    {
        while (true)
        {
            var value = await read();
            if (done(value) || cancellationToken.IsCancellationRequested)
            {
                return value;
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    public sealed class Counter : TaskEntity<int>
    {
        public void Add(int amount) => State += amount;
    }

    /// <summary>A throwaway PostgreSQL cluster of one test, started and stopped through scripts/services.</summary>
    private sealed class OwnServer : IAsyncDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "hub-pg-outage-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        private readonly int _port = 56000 + (Environment.ProcessId % 1000);

        public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres;Timeout=3";

        public static async Task<OwnServer> StartAsync()
        {
            var server = new OwnServer();
            await server.StartAgainAsync();
            return server;
        }

        public Task StartAgainAsync() => RunAsync("start");

        public Task StopAsync(string mode = "fast") => RunAsync("stop", mode);

        public async ValueTask DisposeAsync()
        {
            await RunAsync("stop");
            TempDirectory.TryDelete(_root);
        }

        private async Task RunAsync(string verb, string stopMode = "fast")
        {
            var script = Path.Combine(RepositoryRoot(), "scripts", "services");
            var info = new ProcessStartInfo(script) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            info.ArgumentList.Add(verb);
            info.ArgumentList.Add("postgres");
            info.Environment["HUB_PG_ROOT"] = _root;
            info.Environment["HUB_PG_PORT"] = _port.ToString(CultureInfo.InvariantCulture);
            info.Environment["HUB_PG_STOP_MODE"] = stopMode;
            using var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"scripts/services {verb} postgres failed: {await stderr}");
        }

        private static string RepositoryRoot()
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "scripts", "services")))
                {
                    return directory.FullName;
                }
            }

            throw new InvalidOperationException("scripts/services not found above " + AppContext.BaseDirectory);
        }
    }
}
