using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serverless.CrashWorker;
using Serverless.DurableTask;
using Serverless.DurableTask.Client;
using Serverless.DurableTask.Entities;
using Serverless.DurableTask.Worker;

// A worker process for the crash test: runs the mixed workload over a SQLite file (or a PostgreSQL schema) until
// every instance has finished, then prints DONE and exits 0. The test kills it with SIGKILL at random moments and
// restarts it.
// Usage: Serverless.CrashWorker <directory> <instanceCount> [postgres:<schema>]
// (PostgreSQL: the connection string comes from the HUB_TEST_POSTGRES environment variable.)
if (args.Length is not (2 or 3) || (args.Length == 3 && !args[2].StartsWith("postgres:", StringComparison.Ordinal)))
{
    Console.Error.WriteLine("usage: Serverless.CrashWorker <directory> <instanceCount> [postgres:<schema>]");
    return 2;
}

var directory = args[0];
var count = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
Workload.ExecutionLog = Path.Combine(directory, "activity-executions.log");

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Services.AddDurableTaskWorker(b =>
{
    b.AddTasks(Workload.Register).Configure(o =>
    {
        o.HubName = "crash";
        o.LeaseDuration = TimeSpan.FromSeconds(5);
    });
    if (args.Length == 3)
    {
        b.UsePostgres(p =>
        {
            p.ConnectionString = Environment.GetEnvironmentVariable("HUB_TEST_POSTGRES") ?? throw new InvalidOperationException("HUB_TEST_POSTGRES is not set.");
            p.SchemaName = args[2]["postgres:".Length..];
        });
    }
    else
    {
        b.UseSqlite(s => s.DatabasePath = Path.Combine(directory, "crash.db"));
    }
});
using var host = builder.Build();
await host.StartAsync();
var client = host.Services.GetRequiredService<DurableTaskClient>();

for (var i = 0; i < count; i++)
{
    // An instance created by an earlier run is left alone: scheduling a finished id again would start it afresh.
    if (await client.GetInstanceAsync(Workload.InstanceId(i)) is null)
    {
        await client.ScheduleNewOrchestrationInstanceAsync(nameof(Workload.Mixed), i, new StartOrchestrationOptions(Workload.InstanceId(i)));
    }
}

Console.WriteLine("STARTED");
for (var i = 0; i < count; i++)
{
    var id = Workload.InstanceId(i);
    var done = await client.WaitForInstanceCompletionAsync(id);
    if (done.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
    {
        Console.WriteLine($"FAILED {id} {done.RuntimeStatus} {done.FailureDetails}");
    }
}

// The last step of each instance signals its ledger entity; the signal is durable but applied afterwards: wait for it.
for (var i = 0; i < count; i++)
{
    var ledger = new EntityInstanceId(nameof(Workload.Ledger), Workload.InstanceId(i));
    while (await client.Entities.GetEntityAsync(ledger, includeState: false) is null)
    {
        await Task.Delay(20);
    }
}

Console.WriteLine("DONE");
await host.StopAsync();
return 0;
