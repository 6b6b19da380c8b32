using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
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

    [Fact]
    public async Task MixedWorkload_KilledRepeatedly_EveryInstanceCompletesExactlyOnce()
    {
        var directory = TestHub.NewDirectory();
        var random = new Random(Environment.TickCount);
        var kills = 0;
        for (var k = 0; k < Kills; k++)
        {
            using var worker = StartWorker(directory);
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
        using (var final = StartWorker(directory))
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

        await using var connection = new SqliteConnection($"Data Source={Path.Combine(directory, "crash.db")};Pooling=False");
        await connection.OpenAsync();

        // Every orchestration completed with exactly its expected output.
        var outputs = new Dictionary<string, (int Status, string? Output)>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT instance_id, runtime_status, output FROM Instances WHERE name = 'Mixed'";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                outputs[reader.GetString(0)] = (reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2));
            }
        }

        Assert.Equal(Instances, outputs.Count);
        for (var i = 0; i < Instances; i++)
        {
            var (status, value) = outputs[Workload.InstanceId(i)];
            Assert.Equal(1, status);
            Assert.Equal(Workload.ExpectedOutput(i), JsonSerializer.Deserialize<long>(value!));
        }

        // No entity operation lost or applied twice.
        var states = new Dictionary<string, string>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT instance_id, entity_state FROM Instances WHERE is_entity = 1";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                states[reader.GetString(0)] = reader.GetString(1);
            }
        }

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

    private static Process StartWorker(string directory)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Serverless.CrashWorker.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add(directory);
        info.ArgumentList.Add(Instances.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return Process.Start(info) ?? throw new InvalidOperationException("could not start the worker");
    }
}
