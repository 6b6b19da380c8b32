using System.Collections.Concurrent;
using DurableTask.Core.History;
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Serverless.DurableTask;

namespace Serverless.Runtime.Tests;

/// <summary>
/// The store's disk fills up, or its file turns read-only, while orchestrations run: writes fail with a clear
/// <see cref="StoreUnavailableException"/>, the log says what is wrong, the store reports itself not ready, no work is
/// counted as failed (nothing dead-lettered) — and once the fault is fixed every instance finishes with its exact
/// result, each activity having run exactly once.
/// </summary>
/// <remarks>
/// The faults are made on the store's own writer connection: <c>PRAGMA max_page_count</c> at the file's current size
/// after a <c>VACUUM</c> (no free pages left: the next write that needs a page fails with SQLITE_FULL), and
/// <c>PRAGMA query_only</c> (every write fails with SQLITE_READONLY, as on a read-only file system).
/// </remarks>
public sealed class StoreFaultTests
{
    private const int Instances = 12;
    private const int Steps = 3;
    // Larger than a page: every result needs fresh pages, as work does on a full disk.
    private static readonly string Padding = new('x', 6000);

    public static TheoryData<string> Faults() => ["disk-full", "read-only"];

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task StoreFault_WritesFailClearly_Unready_ThenEverythingFinishesOnce(string fault)
    {
        var runs = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var hub = await SqliteFaultHub.StartAsync(r => r
            .AddActivityFunc<string, string>("Work", async (_, key) =>
            {
                runs.AddOrUpdate(key, 1, (_, n) => n + 1);
                await released.Task;
                return key + Padding;
            })
            .AddOrchestratorFunc<int, int>("Steps", async (ctx, n) =>
            {
                var total = 0;
                for (var i = 0; i < Steps; i++)
                {
                    total += (await ctx.CallActivityAsync<string>("Work", $"{ctx.InstanceId}/{i}")).Length;
                }

                return total + await ctx.WaitForExternalEvent<int>("go");
            }));
        var store = hub.Store;
        var logs = hub.Logs;

        var ids = new List<string>();
        for (var i = 0; i < Instances; i++)
        {
            ids.Add(await hub.Client.ScheduleNewOrchestrationInstanceAsync("Steps", i));
        }

        await SqliteFaultHub.WaitUntilAsync(() => runs.Count >= Math.Min(Instances, 4), "the first activities to run");

        // The fault: from here the store cannot take new pages (disk full) or any write (read-only).
        await store.OnWriterConnectionAsync(c => Break(c, fault));
        released.SetResult();

        var refused = await Assert.ThrowsAsync<StoreUnavailableException>(() => hub.Client.ScheduleNewOrchestrationInstanceAsync("Steps", new string('y', 20_000)));
        Assert.Contains(hub.DatabasePath, refused.Message, StringComparison.Ordinal);
        Assert.Contains(fault == "disk-full" ? "is full" : "read-only", refused.Message, StringComparison.Ordinal);
        Assert.False(await store.IsReadyAsync(CancellationToken.None));
        await SqliteFaultHub.WaitUntilAsync(() => logs.Lines.Any(l => l.StartsWith("Error: The store cannot write", StringComparison.Ordinal)), "the error in the log");

        // Work keeps trying while the fault lasts; none of it may be counted as failed.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(await store.IsReadyAsync(CancellationToken.None));
        Assert.Equal(0, (await store.GetStatisticsAsync(CancellationToken.None)).DeadLetters);

        await store.OnWriterConnectionAsync(c => Fix(c, fault));
        await SqliteFaultHub.WaitUntilAsync(() => store.IsReadyAsync(CancellationToken.None).GetAwaiter().GetResult(), "the store to be ready again");
        foreach (var id in ids)
        {
            await hub.WaitForHistoryAsync(id, h => h.Count(e => e.EventType == EventType.TaskCompleted) == Steps, TimeSpan.FromSeconds(30));
            await hub.Client.RaiseEventAsync(id, "go", 1);
        }

        for (var i = 0; i < Instances; i++)
        {
            var done = await hub.WaitForCompletionAsync(ids[i], TimeSpan.FromSeconds(30));
            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            Assert.Equal((Steps * (ids[i].Length + 2 + Padding.Length)) + 1, done.ReadOutputAs<int>());
        }

        Assert.Equal(Instances * Steps, runs.Count);
        Assert.All(runs, r => Assert.True(r.Value == 1, $"activity {r.Key} ran {r.Value} times"));
        Assert.Equal(0, (await store.GetStatisticsAsync(CancellationToken.None)).DeadLetters);
        Assert.Contains(logs.Lines, l => l.Contains("accepts writes again", StringComparison.Ordinal));
    }

    private static void Break(SqliteConnection connection, string fault)
    {
        if (fault == "disk-full")
        {
            Execute(connection, "VACUUM");
            var pages = Convert.ToInt64(Scalar(connection, "PRAGMA page_count"), System.Globalization.CultureInfo.InvariantCulture);
            Execute(connection, $"PRAGMA max_page_count = {pages}");
        }
        else
        {
            Execute(connection, "PRAGMA query_only = 1");
        }
    }

    private static void Fix(SqliteConnection connection, string fault) =>
        Execute(connection, fault == "disk-full" ? "PRAGMA max_page_count = 1073741823" : "PRAGMA query_only = 0");

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
