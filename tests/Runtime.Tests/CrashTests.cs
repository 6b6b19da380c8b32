using System.Diagnostics;
using System.Text.Json;
using Serverless.CrashWorker;
using Xunit.Abstractions;

namespace Serverless.Runtime.Tests;

/// <summary>
/// Runs the mixed workload in a child process, kills it with SIGKILL at random moments several times, restarts it,
/// and checks that every instance completed with exactly the expected output and no entity operation was lost or
/// applied twice. Activity re-executions (allowed: activities are at-least-once) are counted and reported.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int Instances = 200;
    private const int Kills = 6;

    [Theory]
    [Stores]
    public async Task MixedWorkload_KilledRepeatedly_EveryInstanceCompletesExactlyOnce(StoreKind store)
    {
        using var location = new TempDirectory();
        var directory = location.Path;
        var random = new Random(Environment.TickCount);
        var kills = 0;
        for (var k = 0; k < Kills; k++)
        {
            using var worker = StartWorker(store, directory);
            var delay = random.Next(200, 700);
            if (worker.WaitForExit(delay))
            {
                break;
            }

            worker.Kill(entireProcessTree: true);
            Assert.True(worker.WaitForExit(10_000), "the killed worker did not exit");
            kills++;
            output.WriteLine($"killed after {delay} ms");
        }

        Assert.True(kills >= 4, $"only {kills} kills landed before the workload finished; the test would prove little");
        using (var final = StartWorker(store, directory))
        {
            var stdout = final.StandardOutput.ReadToEndAsync();
            var stderr = final.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await final.WaitForExitAsync(timeout.Token);
            var text = await stdout;
            Assert.True(final.ExitCode == 0, $"worker exit code {final.ExitCode}: {text} {await stderr}");
            Assert.Contains("DONE", text, StringComparison.Ordinal);
            Assert.DoesNotContain("FAILED", text, StringComparison.Ordinal);
        }

        // Every orchestration completed with exactly its expected output.
        var outputs = (await TestStores.QueryAsync(store, directory, "SELECT instance_id, runtime_status, output FROM Instances WHERE name = 'Mixed'", "crash.db"))
            .ToDictionary(r => (string)r[0]!, r => (Status: Convert.ToInt32(r[1], System.Globalization.CultureInfo.InvariantCulture), Output: (string?)r[2]));
        Assert.Equal(Instances, outputs.Count);
        for (var i = 0; i < Instances; i++)
        {
            var (status, value) = outputs[Workload.InstanceId(i)];
            Assert.Equal(1, status);
            Assert.Equal(Workload.ExpectedOutput(i), JsonSerializer.Deserialize<long>(value!));
        }

        // No entity operation lost or applied twice.
        var states = (await TestStores.QueryAsync(store, directory, "SELECT instance_id, entity_state FROM Instances WHERE instance_id LIKE '@%'", "crash.db"))
            .ToDictionary(r => (string)r[0]!, r => (string)r[1]!);
        for (var k = 0; k < Workload.Counters; k++)
        {
            Assert.Equal(Instances / Workload.Counters, JsonSerializer.Deserialize<int>(states[$"@counter@shared-{k}"]));
        }

        for (var i = 0; i < Instances; i++)
        {
            Assert.Equal([i], JsonSerializer.Deserialize<int[]>(states[$"@ledger@{Workload.InstanceId(i)}"])!);
        }

        // Activities: each ran at least once; re-executions after a kill are allowed and reported.
        var executions = await File.ReadAllLinesAsync(Path.Combine(directory, "activity-executions.log"));
        var distinct = executions.Where(l => l.Length > 0).Distinct().Count();
        Assert.Equal(Instances * 8, distinct);
        output.WriteLine($"{kills} kills; {executions.Length} activity executions for {distinct} activities ({executions.Length - distinct} re-executions)");
    }

    private static Process StartWorker(StoreKind store, string directory) =>
        CrashWorkerProcess.Start(directory, Instances, store == StoreKind.Postgres ? TestStores.SchemaFor(directory) : null);
}
