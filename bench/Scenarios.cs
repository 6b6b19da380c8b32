using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Worker;
using Serverless.DurableTask.Client;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Worker;

namespace Serverless.Bench;

internal sealed record Result(string Scenario, double Value, string Unit, string Detail)
{
    public string Store { get; init; } = "";
}

internal enum StoreKind
{
    Sqlite,
    Postgres,
}

/// <summary>Where the scenarios run: a fresh SQLite file, or a fresh schema on the PostgreSQL server of the connection string.</summary>
internal sealed record BenchStore(StoreKind Kind, string? ConnectionString);

internal static class Scenarios
{
    public static readonly string[] Names = ["sequential", "fan-out", "fan-in", "external-events", "entity-operations", "event-latency", "waiting", "scale"];

    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);
    private static TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<List<Result>> RunAsync(string name, int? n, int waiting) => name switch
    {
        "sequential" => await SequentialAsync(n ?? 2000),
        "fan-out" => await FanOutAsync(n ?? 20_000),
        "fan-in" => await FanInAsync(n ?? 20_000),
        "external-events" => await ExternalEventsAsync(n ?? 20_000),
        "entity-operations" => await EntityOperationsAsync(n ?? 50_000),
        "event-latency" => await EventLatencyAsync(n ?? 500),
        "waiting" => await WaitingAsync(waiting),
        "scale" => await ScaleAsync(n ?? 1000),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>Gets or sets the store the scenarios run on.</summary>
    public static BenchStore Target { get; set; } = new(StoreKind.Sqlite, null);

    private static async Task<Bench> StartAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hub-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var schema = Target.Kind == StoreKind.Postgres ? NewSchema() : null;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddDurableTaskWorker(b =>
        {
            Register(b);
            if (schema is null)
            {
                b.UseSqlite(s => s.DatabasePath = Path.Combine(dir, "bench.db"));
            }
            else
            {
                b.UsePostgres(p => { p.ConnectionString = Target.ConnectionString; p.SchemaName = schema; });
            }
        });
        builder.Services.AddDurableTaskClient(b =>
        {
            if (schema is null)
            {
                b.UseSqlite(s => s.DatabasePath = Path.Combine(dir, "bench.db"));
            }
            else
            {
                b.UsePostgres(p => { p.ConnectionString = Target.ConnectionString; p.SchemaName = schema; });
            }
        });
        var host = builder.Build();
        await host.StartAsync();
        return new Bench(host, dir, schema);
    }

    /// <summary>The bench's orchestrations, activities and entities, and its worker options.</summary>
    internal static void Register(IDurableTaskWorkerBuilder builder) => builder
            .AddTasks(r => r
                .AddActivityFunc<int, int>("Echo", (_, x) => x)
                .AddActivity("Gated", _ => new GatedActivity())
                .AddOrchestratorFunc<int, int>("Sequential", async (ctx, count) =>
                {
                    var sum = 0;
                    for (var i = 0; i < count; i++)
                    {
                        sum += await ctx.CallActivityAsync<int>("Echo", 1);
                    }

                    return sum;
                })
                .AddOrchestratorFunc<int, int>("FanOut", async (ctx, count) =>
                {
                    var tasks = new Task<int>[count];
                    for (var i = 0; i < count; i++)
                    {
                        tasks[i] = ctx.CallActivityAsync<int>("Echo", 1);
                    }

                    return (await Task.WhenAll(tasks)).Sum();
                })
                .AddOrchestratorFunc<int, int>("FanInGated", async (ctx, count) =>
                {
                    var tasks = new Task<int>[count];
                    for (var i = 0; i < count; i++)
                    {
                        tasks[i] = ctx.CallActivityAsync<int>("Gated", 1);
                    }

                    ctx.SetCustomStatus("scheduled");
                    return (await Task.WhenAll(tasks)).Sum();
                })
                .AddOrchestratorFunc<int, int>("Receiver", async (ctx, count) =>
                {
                    var sum = 0;
                    for (var i = 0; i < count; i++)
                    {
                        sum += await ctx.WaitForExternalEvent<int>("Tick");
                    }

                    return sum;
                })
                .AddOrchestratorFunc<int, int>("WaitOne", async (ctx, _) => await ctx.WaitForExternalEvent<int>("Go"))
                .AddOrchestratorFunc<int, int>("Distributed", async (ctx, x) =>
                {
                    // A chain of three activities, then a fan-out of five: eight activities per orchestration.
                    for (var i = 0; i < 3; i++)
                    {
                        x = await ctx.CallActivityAsync<int>("Echo", x + 1);
                    }

                    var fan = await Task.WhenAll(Enumerable.Range(0, 5).Select(k => ctx.CallActivityAsync<int>("Echo", x + k)));
                    return fan.Sum();
                })
                .AddEntity<Counter>())
            .ConfigureStore(o => { o.HubName = "bench"; if (Environment.GetEnvironmentVariable("BENCH_ACT") is { } a) { o.MaxConcurrentActivityFunctions = int.Parse(a, System.Globalization.CultureInfo.InvariantCulture); } });

    /// <summary>
    /// The scale curve (PostgreSQL): the same distributed workload (orchestrations of three chained and five fanned-out
    /// activities) run by 1, 2 and 3 worker processes (this program with <c>--worker</c>) sharing one schema. The work
    /// is scheduled once every worker is up; the time runs from the first schedule to the last completion. With
    /// <see cref="CpuQuotaPercent"/> each worker runs in its own cgroup limited to that share of one core, so the
    /// workers rather than the machine's cores are the limit. Each row says each worker's share of the work, the CPU
    /// the workers spent per work item, and the database's commits and CPU over the measured run.
    /// </summary>
    private static async Task<List<Result>> ScaleAsync(int n)
    {
        if (Target.Kind != StoreKind.Postgres)
        {
            throw new InvalidOperationException("The scale scenario runs on PostgreSQL only (several processes share the store).");
        }

        const int Expected = 25;
        var results = new List<Result>();
        var server = await PostgresServer.FindAsync(Target.ConnectionString!);
        foreach (var hosts in HostCounts)
        {
            var schema = NewSchema();
            var workers = new List<ScaleWorker>();
            try
            {
                var clientBuilder = Host.CreateApplicationBuilder();
                clientBuilder.Logging.ClearProviders();
                clientBuilder.Services.AddDurableTaskClient(b => b.UsePostgres(p => { p.ConnectionString = Target.ConnectionString; p.SchemaName = schema; }));
                using var clientHost = clientBuilder.Build();
                await clientHost.Services.GetRequiredService<IOrchestrationStore>().InitializeAsync(CancellationToken.None);
                var client = clientHost.Services.GetRequiredService<DurableTaskClient>();
                for (var h = 0; h < hosts; h++)
                {
                    workers.Add(ScaleWorker.Start(schema, h, CpuQuotaPercent, Target.ConnectionString!));
                }

                foreach (var worker in workers)
                {
                    await worker.WaitReadyAsync();
                }

                Console.Error.WriteLine($"  scale: {hosts} worker(s) ready, each seeing {string.Join("/", workers.Select(w => w.Processors))} processor(s){(CpuQuotaPercent is { } q ? $", limited to {q} % of one core" : string.Empty)}");
                using var cts = new CancellationTokenSource(Limit);
                var warmUp = (WarmUpPerWorker ?? Math.Max(50, n / 10)) * hosts;
                await ScheduleAsync(client, 0, warmUp, cts.Token);
                await WaitForCompletedAsync(schema, warmUp, cts.Token);
                Console.Error.WriteLine("  scale: warmed up");
                var before = await Task.WhenAll(workers.Select(w => w.MarkAsync()));
                var serverBefore = await server.SampleAsync();
                var sw = Stopwatch.StartNew();
                await ScheduleAsync(client, warmUp, n, cts.Token);
                await WaitForCompletedAsync(schema, warmUp + n, cts.Token);
                sw.Stop();
                var after = await Task.WhenAll(workers.Select(w => w.MarkAsync()));
                var serverAfter = await server.SampleAsync();
                Check(await CountAsync(schema, $"SELECT count(*) FROM instances WHERE name = 'Distributed' AND output = '{Expected}'") == warmUp + n, "distributed outputs");
                results.Add(ScaleRow(hosts, n, sw.Elapsed.TotalSeconds, [.. after.Zip(before, (a, b) => a - b)], serverAfter - serverBefore));
            }
            finally
            {
                foreach (var worker in workers)
                {
                    worker.Dispose();
                }

                await DropSchemaAsync(schema);
            }
        }

        return results;
    }

    private static Result ScaleRow(int hosts, int n, double seconds, IReadOnlyList<WorkerMark> done, ServerSample server)
    {
        static string F(double value, string format) => value.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
        var items = Math.Max(1, done.Sum(d => d.WorkItems));
        var workerCpu = done.Sum(d => d.CpuSeconds);
        var shares = string.Join("/", done.Select(d => F(100.0 * d.WorkItems / items, "N0")));
        var quota = CpuQuotaPercent is { } p ? $"{p} % of a core per worker" : "none";
        return new(
            $"distributed workload, {hosts} host process{(hosts == 1 ? string.Empty : "es")}",
            n * 8 / seconds,
            "activities/s",
            $"{n} orchestrations in {F(seconds, "N2")} s: {F(n / seconds, "N1")} orchestrations/s, {F(items / seconds, "N0")} work items/s; quota {quota}; " +
            $"work shares {shares} %; workers {F(1000 * workerCpu / items, "N2")} ms CPU/work item ({F(100 * workerCpu / seconds, "N0")} % of a core; {F(done.Average(d => (double)d.CompiledMethods), "N0")} methods compiled per worker meanwhile), " +
            $"{F(done.Sum(d => d.LeaseQueries) / (double)items, "N2")} lease queries/work item ({F(100.0 * done.Sum(d => d.EmptyLeaseQueries) / Math.Max(1, done.Sum(d => d.LeaseQueries)), "N0")} % empty); " +
            $"database {F(server.Commits / seconds, "N0")} commits/s, {F(server.Commits / (double)items, "N2")} commits/work item, " +
            $"{F(1000 * server.CpuSeconds / items, "N2")} ms CPU/work item ({F(100 * server.CpuSeconds / seconds, "N0")} % of a core)");
    }

    /// <summary>Gets or sets the host process counts of the scale curve.</summary>
    public static int[] HostCounts { get; set; } = [1, 2, 3];

    /// <summary>
    /// Gets or sets the orchestrations per worker run before the measured run (null: a tenth of the run, at least 50).
    /// A longer warm-up measures workers whose runtime has finished compiling and recompiling the hot code.
    /// </summary>
    public static int? WarmUpPerWorker { get; set; }

    /// <summary>Gets or sets each scale worker's CPU quota in percent of one core (null: no quota).</summary>
    public static int? CpuQuotaPercent { get; set; }

    /// <summary>Runs this program as a worker of the scale scenario on a PostgreSQL schema until its standard input closes.</summary>
    /// <remarks>
    /// A line <c>MARK</c> on standard input is answered with the work this process has done so far (orchestration
    /// steps and activities it ran, counted from the runtime's meter) and the CPU time it has used.
    /// </remarks>
    public static async Task<int> RunWorkerAsync(string schema)
    {
        using var counter = new WorkCounter();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddDurableTaskWorker(b =>
        {
            Register(b);
            b.UsePostgres(p => { p.ConnectionString = Target.ConnectionString; p.SchemaName = schema; });
        });
        using var host = builder.Build();
        await host.StartAsync();
        Console.WriteLine($"READY {Environment.ProcessorCount}");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line == "MARK")
            {
                Console.WriteLine(counter.Mark().Format());
            }
        }

        await host.StopAsync();
        return 0;
    }

    private static async Task ScheduleAsync(DurableTaskClient client, int from, int count, CancellationToken ct) =>
        await Parallel.ForAsync(from, from + count, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (i, token) =>
            await client.ScheduleNewOrchestrationInstanceAsync("Distributed", 0, new StartOrchestrationOptions($"d-{i}"), token));

    private static async Task WaitForCompletedAsync(string schema, int count, CancellationToken ct)
    {
        while (await CountAsync(schema, "SELECT count(*) FROM instances WHERE name = 'Distributed' AND runtime_status = 1") < count)
        {
            await Task.Delay(50, ct);
        }
    }

    private static string NewSchema() => "bench_" + Guid.NewGuid().ToString("N")[..12];

    private static async Task<long> CountAsync(string schema, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Target.ConnectionString) { SearchPath = schema, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task DropSchemaAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Target.ConnectionString) { Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<Result>> SequentialAsync(int n)
    {
        await using var bench = await StartAsync();
        await bench.RunToCompletionAsync("Sequential", 10); // warm-up
        var sw = Stopwatch.StartNew();
        var output = await bench.RunToCompletionAsync("Sequential", n);
        sw.Stop();
        Check(output == n, $"sequential sum {output} != {n}");
        return [new("sequential activities (1 instance)", n / sw.Elapsed.TotalSeconds, "activities/s", $"{n} activities in {sw.Elapsed.TotalSeconds:N2} s")];
    }

    private static async Task<List<Result>> FanOutAsync(int n)
    {
        await using var bench = await StartAsync();
        await bench.RunToCompletionAsync("FanOut", 100);
        var sw = Stopwatch.StartNew();
        var output = await bench.RunToCompletionAsync("FanOut", n);
        sw.Stop();
        Check(output == n, $"fan-out sum {output} != {n}");
        return [new("fan-out/fan-in activities (1 instance)", n / sw.Elapsed.TotalSeconds, "activities/s", $"{n} activities scheduled, run and gathered in {sw.Elapsed.TotalSeconds:N2} s")];
    }

    private static async Task<List<Result>> FanInAsync(int n)
    {
        await using var bench = await StartAsync();
        _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = await bench.Client.ScheduleNewOrchestrationInstanceAsync("FanInGated", n);
        using var cts = new CancellationTokenSource(Limit);
        while ((await bench.Client.GetInstanceAsync(id, false, cts.Token))?.SerializedCustomStatus is null)
        {
            await Task.Delay(1, cts.Token);
        }

        // Hold the orchestration while all responses queue up, then measure how fast it takes them in.
        await bench.Client.SuspendInstanceAsync(id, "fan-in", cts.Token);
        await WaitForStatusAsync(bench.Client, id, OrchestrationRuntimeStatus.Suspended, cts.Token);
        _gate.TrySetResult();
        var store = bench.Store;
        while ((await store.GetStatisticsAsync(cts.Token)).PendingActivities > 0)
        {
            await Task.Delay(10, cts.Token);
        }

        var sw = Stopwatch.StartNew();
        await bench.Client.ResumeInstanceAsync(id, null, cts.Token);
        var done = await bench.Client.WaitForInstanceCompletionAsync(id, true, cts.Token);
        sw.Stop();
        Check(done.ReadOutputAs<int>() == n, "fan-in sum");
        return [new("fan-in responses (1 instance)", n / sw.Elapsed.TotalSeconds, "responses/s", $"{n} queued results taken in {sw.Elapsed.TotalSeconds:N2} s")];
    }

    private static async Task<List<Result>> ExternalEventsAsync(int n)
    {
        await using var bench = await StartAsync();
        using var cts = new CancellationTokenSource(Limit);
        var id = await bench.Client.ScheduleNewOrchestrationInstanceAsync("Receiver", n);
        await bench.Client.WaitForInstanceStartAsync(id, false, cts.Token);
        var sw = Stopwatch.StartNew();
        await Parallel.ForAsync(0, n, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cts.Token }, async (_, ct) =>
            await bench.Client.RaiseEventAsync(id, "Tick", 1, ct));
        var done = await bench.Client.WaitForInstanceCompletionAsync(id, true, cts.Token);
        sw.Stop();
        Check(done.ReadOutputAs<int>() == n, "event sum");

        var instances = Math.Min(n, 5000);
        var ids = new string[instances];
        for (var i = 0; i < instances; i++)
        {
            ids[i] = await bench.Client.ScheduleNewOrchestrationInstanceAsync("WaitOne", 0);
        }

        foreach (var one in ids)
        {
            await bench.Client.WaitForInstanceStartAsync(one, false, cts.Token);
        }

        var sw2 = Stopwatch.StartNew();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cts.Token }, async (one, ct) =>
            await bench.Client.RaiseEventAsync(one, "Go", 1, ct));
        foreach (var one in ids)
        {
            await bench.Client.WaitForInstanceCompletionAsync(one, false, cts.Token);
        }

        sw2.Stop();
        return
        [
            new("external events (1 instance)", n / sw.Elapsed.TotalSeconds, "events/s", $"{n} events raised and consumed in {sw.Elapsed.TotalSeconds:N2} s"),
            new("external events (1 per instance)", instances / sw2.Elapsed.TotalSeconds, "events/s", $"{instances} instances resumed by an event in {sw2.Elapsed.TotalSeconds:N2} s"),
        ];
    }

    private static async Task<List<Result>> EntityOperationsAsync(int n)
    {
        await using var bench = await StartAsync();
        using var cts = new CancellationTokenSource(Limit);
        var id = new EntityInstanceId(nameof(Counter), "bench");
        var sw = Stopwatch.StartNew();
        await Parallel.ForAsync(0, n, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cts.Token }, async (_, ct) =>
            await bench.Client.Entities.SignalEntityAsync(id, "Add", 1, cancellation: ct));
        while (true)
        {
            var entity = await bench.Client.Entities.GetEntityAsync(id, true, cts.Token);
            if (entity?.State.ReadAs<int>() == n)
            {
                break;
            }

            await Task.Delay(2, cts.Token);
        }

        sw.Stop();
        return [new("entity operations (1 entity)", n / sw.Elapsed.TotalSeconds, "operations/s", $"{n} signals applied in {sw.Elapsed.TotalSeconds:N2} s")];
    }

    private static async Task<List<Result>> EventLatencyAsync(int n)
    {
        await using var bench = await StartAsync();
        var latencies = await MeasureLatencyAsync(bench, n);
        return
        [
            new("event-to-completion latency p50", Percentile(latencies, 0.50), "ms", $"idle host, {n} sequential samples"),
            new("event-to-completion latency p99", Percentile(latencies, 0.99), "ms", $"idle host, {n} sequential samples"),
        ];
    }

    private static async Task<List<Result>> WaitingAsync(int count)
    {
        await using var bench = await StartAsync();
        using var cts = new CancellationTokenSource(Limit);
        var before = await MeasureLatencyAsync(bench, 200);
        Collect();
        var baseline = GC.GetTotalMemory(true);
        var sw = Stopwatch.StartNew();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cts.Token }, async (i, ct) =>
            await bench.Client.ScheduleNewOrchestrationInstanceAsync("WaitOne", 0, new StartOrchestrationOptions($"wait-{i}"), ct));

        // All started and waiting: no message left to process.
        while (true)
        {
            var stats = await bench.Store.GetStatisticsAsync(cts.Token);
            if (stats.PendingMessages == 0 && stats.LockedInstances == 0)
            {
                break;
            }

            await Task.Delay(100, cts.Token);
        }

        sw.Stop();
        Collect();
        var managed = GC.GetTotalMemory(true);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var after = await MeasureLatencyAsync(bench, 200);
        var probe = await bench.Client.GetInstanceAsync($"wait-{count - 1}", false, cts.Token);
        Check(probe?.RuntimeStatus == OrchestrationRuntimeStatus.Running, "waiting instance is running");
        return
        [
            new($"{count:N0} waiting instances: managed heap", (managed - baseline) / 1024.0 / 1024.0, "MB", $"growth over the idle host; created and parked in {sw.Elapsed.TotalSeconds:N1} s"),
            new($"{count:N0} waiting instances: process RSS", process.WorkingSet64 / 1024.0 / 1024.0, "MB", "whole process, including the runtime and SQLite page cache"),
            new("event latency p99, idle host", Percentile(before, 0.99), "ms", "200 samples before"),
            new($"event latency p99, {count:N0} waiting", Percentile(after, 0.99), "ms", "200 samples with the instances parked"),
        ];
    }

    private static async Task<List<double>> MeasureLatencyAsync(Bench bench, int n)
    {
        using var cts = new CancellationTokenSource(Limit);
        var latencies = new List<double>(n);
        for (var i = 0; i < n + 10; i++)
        {
            var id = await bench.Client.ScheduleNewOrchestrationInstanceAsync("WaitOne", 0, null, cts.Token);
            await WaitForStatusAsync(bench.Client, id, OrchestrationRuntimeStatus.Running, cts.Token);
            var sw = Stopwatch.StartNew();
            await bench.Client.RaiseEventAsync(id, "Go", 1, cts.Token);
            await bench.Client.WaitForInstanceCompletionAsync(id, false, cts.Token);
            sw.Stop();
            if (i >= 10)
            {
                latencies.Add(sw.Elapsed.TotalMilliseconds);
            }
        }

        return latencies;
    }

    private static async Task WaitForStatusAsync(DurableTaskClient client, string id, OrchestrationRuntimeStatus status, CancellationToken ct)
    {
        while ((await client.GetInstanceAsync(id, false, ct))?.RuntimeStatus != status)
        {
            await Task.Delay(1, ct);
        }
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private static void Collect()
    {
        GC.Collect(2, GCCollectionMode.Aggressive, true, true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Aggressive, true, true);
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Benchmark result is wrong: {what}");
        }
    }

    private sealed class GatedActivity : TaskActivity<int, int>
    {
        public override async Task<int> RunAsync(TaskActivityContext context, int input)
        {
            await _gate.Task;
            return input;
        }
    }

    private sealed class Counter : TaskEntity<int>
    {
        public void Add(int amount) => State += amount;

        public int Get() => State;
    }

    private sealed class Bench(IHost host, string dir, string? schema) : IAsyncDisposable
    {
        public DurableTaskClient Client => host.Services.GetRequiredService<DurableTaskClient>();

        public IOrchestrationStore Store => host.Services.GetRequiredService<IOrchestrationStore>();

        public async Task<int> RunToCompletionAsync(string name, int input)
        {
            using var cts = new CancellationTokenSource(Limit);
            var id = await Client.ScheduleNewOrchestrationInstanceAsync(name, input, null, cts.Token);
            var done = await Client.WaitForInstanceCompletionAsync(id, true, cts.Token);
            if (done.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
            {
                throw new InvalidOperationException($"{name} ended {done.RuntimeStatus}: {done.FailureDetails}");
            }

            return done.ReadOutputAs<int>();
        }

        public async ValueTask DisposeAsync()
        {
            await host.StopAsync();
            host.Dispose();
            if (schema is not null)
            {
                await DropSchemaAsync(schema);
            }

            try
            {
                Directory.Delete(dir, true);
            }
            catch (IOException)
            {
            }
        }
    }
}
