using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serverless.CrashWorker;
using Serverless.DurableTask;
using Serverless.DurableTask.Client;
using Serverless.DurableTask.Worker;

// A worker process for the crash test: runs the mixed workload over a SQLite file until every instance has
// finished, then prints DONE and exits 0. The test kills it with SIGKILL at random moments and restarts it.
// Usage: Serverless.CrashWorker <directory> <instanceCount>
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Serverless.CrashWorker <directory> <instanceCount>");
    return 2;
}

var directory = args[0];
var count = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
Workload.ExecutionLog = Path.Combine(directory, "activity-executions.log");

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Services.AddDurableTaskWorker(b => b
    .AddTasks(Workload.Register)
    .Configure(o =>
    {
        o.HubName = "crash";
        o.LeaseDuration = TimeSpan.FromSeconds(5);
    })
    .UseSqlite(s => s.DatabasePath = Path.Combine(directory, "crash.db")));
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

Console.WriteLine("DONE");
await host.StopAsync();
return 0;
