using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serverless.CrashWorker;
using Serverless.DurableTask.Client;
using Serverless.DurableTask.Postgres;
using Serverless.DurableTask.Sqlite;
using Serverless.DurableTask.Worker;

// A worker process for the crash test: runs the mixed workload over a SQLite file (or a PostgreSQL schema) until
// every instance has finished, then prints DONE and exits 0. The test kills it with SIGKILL at random moments and
// restarts it.
// With host:<index> it is one of several hosts of the scale-out test on one PostgreSQL schema: it prints
// READY once it runs, the test schedules the scale-out workload, host 0 also raises the instances' events (the front
// door), and every host waits until all instances (anyone's) have finished.
// Usage: Serverless.CrashWorker <directory> <instanceCount> [postgres:<schema> [host:<index>]]
// (PostgreSQL: the connection string comes from the HUB_TEST_POSTGRES environment variable.)
if (args.Length is < 2 or > 4 || (args.Length >= 3 && !args[2].StartsWith("postgres:", StringComparison.Ordinal))
    || (args.Length == 4 && !args[3].StartsWith("host:", StringComparison.Ordinal)))
{
    Console.Error.WriteLine("usage: Serverless.CrashWorker <directory> <instanceCount> [postgres:<schema> [host:<index>]]");
    return 2;
}

var directory = args[0];
var count = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
var scaleOut = args.Length == 4;
var hostIndex = scaleOut ? int.Parse(args[3]["host:".Length..], System.Globalization.CultureInfo.InvariantCulture) : 0;
Workload.ExecutionLog = Path.Combine(directory, scaleOut ? $"activity-executions-{hostIndex}.log" : "activity-executions.log");
Func<int, string> instanceId = scaleOut ? ScaleOut.InstanceId : Workload.InstanceId;

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
if (scaleOut)
{
    // The store's warnings (leases voided, lost, abandoned steps) explain a re-run activity when the test reports one.
    builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
}

Action<PostgresStoreOptions>? postgres = args.Length >= 3
    ? p =>
    {
        p.ConnectionString = (Environment.GetEnvironmentVariable("HUB_TEST_POSTGRES") ?? throw new InvalidOperationException("HUB_TEST_POSTGRES is not set."))
            + (scaleOut ? $";Application Name={ScaleOut.ApplicationName(hostIndex)}" : string.Empty);
        p.SchemaName = args[2]["postgres:".Length..];
    }
    : null;
Action<SqliteStoreOptions> sqlite = s => s.DatabasePath = Path.Combine(directory, "crash.db");
builder.Services.AddDurableTaskWorker(b =>
{
    b.AddTasks(Workload.Register).AddTasks(ScaleOut.Register).ConfigureStore(o =>
    {
        o.HubName = scaleOut ? "scale" : "crash";
        o.LeaseDuration = scaleOut ? ScaleOut.LeaseDuration : TimeSpan.FromSeconds(5);
    });
    _ = postgres is not null ? b.UsePostgres(postgres) : b.UseSqlite(sqlite);
});
builder.Services.AddDurableTaskClient(b => _ = postgres is not null ? b.UsePostgres(postgres) : b.UseSqlite(sqlite));
using var host = builder.Build();
await host.StartAsync();
var client = host.Services.GetRequiredService<DurableTaskClient>();
if (scaleOut)
{
    // The test schedules the instances once every host is up (any host could: the database is shared).
    Console.WriteLine("READY");
}
else
{
    for (var i = 0; i < count; i++)
    {
        // An instance created by an earlier run is left alone: scheduling a finished id again would start it afresh.
        if (await client.GetInstanceAsync(instanceId(i)) is null)
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(Workload.Mixed), i, new StartOrchestrationOptions(instanceId(i)));
        }
    }
}

Console.WriteLine("STARTED");
var frontDoor = scaleOut && hostIndex == 0 ? ScaleOut.RaiseEventsAsync(client, count, CancellationToken.None) : Task.CompletedTask;
for (var i = 0; i < count; i++)
{
    var id = instanceId(i);
    while (await client.GetInstanceAsync(id) is null)
    {
        // Scale-out: the test is still scheduling.
        await Task.Delay(50);
    }

    var done = await client.WaitForInstanceCompletionAsync(id);
    if (done.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
    {
        Console.WriteLine($"FAILED {id} {done.RuntimeStatus} {done.FailureDetails}");
    }
}

await frontDoor;

// The last step of each instance signals its ledger entity; the signal is durable but applied afterwards: wait for it.
for (var i = 0; i < count; i++)
{
    var ledger = new EntityInstanceId(nameof(Workload.Ledger), instanceId(i));
    while (await client.Entities.GetEntityAsync(ledger, includeState: false) is null)
    {
        await Task.Delay(20);
    }
}

Console.WriteLine("DONE");
await host.StopAsync();
return 0;
