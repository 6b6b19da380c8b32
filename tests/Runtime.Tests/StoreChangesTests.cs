using Microsoft.DurableTask;
using Serverless.DurableTask.Client;

namespace Serverless.Runtime.Tests;

/// <summary><see cref="DurableStoreChanges"/>: the ids of the instances each commit changed, for live views.</summary>
public sealed class StoreChangesTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Theory]
    [Stores]
    public async Task A_commit_is_told_with_the_ids_it_changed_until_the_listener_stops(StoreKind kind)
    {
        using var dir = new TempDirectory();
        try
        {
            await using var opened = TestStores.Open(kind, dir.Path, TimeSpan.FromSeconds(30));
            await opened.InitializeAsync(CancellationToken.None);
            var changes = new DurableStoreChanges(opened);
            var client = new StoreDurableTaskClient("changes", opened, new StoreDurableTaskClientOptions());
            var heard = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var listening = changes.Listen(ids =>
            {
                foreach (var id in ids ?? [])
                {
                    heard.Enqueue(id);
                    if (id == "told-1")
                    {
                        first.TrySetResult();
                    }
                }
            });

            await client.ScheduleNewOrchestrationInstanceAsync("Anything", null, new StartOrchestrationOptions("told-1"));
            await first.Task.WaitAsync(Wait);

            listening.Dispose();
            await client.ScheduleNewOrchestrationInstanceAsync("Anything", null, new StartOrchestrationOptions("told-2"));
            Assert.Contains("told-1", heard);
            Assert.DoesNotContain("told-2", heard);
        }
        finally
        {
            await TestStores.DropAsync(kind, dir.Path);
        }
    }

    [Fact]
    public async Task Postgres_a_commit_by_another_host_is_told_to_this_hosts_listeners()
    {
        using var dir = new TempDirectory();
        try
        {
            await using var here = TestStores.Open(StoreKind.Postgres, dir.Path, TimeSpan.FromSeconds(30));
            await using var there = TestStores.Open(StoreKind.Postgres, dir.Path, TimeSpan.FromSeconds(30));
            await here.InitializeAsync(CancellationToken.None);
            await there.InitializeAsync(CancellationToken.None);
            var told = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var listening = new DurableStoreChanges(here).Listen(ids =>
            {
                if (ids?.Contains("from-there") == true)
                {
                    told.TrySetResult();
                }
            });

            // Only the other host's client writes; this host hears of it through the store's NOTIFY channel.
            var client = new StoreDurableTaskClient("changes", there, new StoreDurableTaskClientOptions());
            await client.ScheduleNewOrchestrationInstanceAsync("Anything", null, new StartOrchestrationOptions("from-there"));
            await told.Task.WaitAsync(Wait);
        }
        finally
        {
            await TestStores.DropAsync(StoreKind.Postgres, dir.Path);
        }
    }
}
