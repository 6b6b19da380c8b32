using Serverless.DurableTask.Client;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serverless.DurableTask.Worker;

namespace Serverless.Runtime.Tests;

/// <summary>
/// The whole proof of the upgrade (issue 15 item 7): a copy of the store written by the previous release
/// (tests/Fixtures/v1/sqlite-runtime) opened by the new stores and worker (migrated at start), every waiting instance
/// completes with its event, the timer fires, the entity keeps its state. Written against the post-merge API
/// (Microsoft's AddDurableTaskWorker/AddDurableTaskClient with our UseSqlite): it cannot compile before the lead's merge.
/// </summary>
public sealed class UpgradeFixtureTests
{
    [Fact]
    public async Task SqliteFixture_AfterTheUpgrade_EveryInstanceCompletes()
    {
        // Arrange
        var file = UpgradeTests.FixtureStore.CopySqlite(Path.Combine("sqlite-runtime", "runtime.db"));
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddDurableTaskWorker(b => b
            .AddTasks(r => r
                .AddOrchestrator<UpgradeTests.EventWithTimeout>("EventWithTimeout")
                .AddOrchestrator<UpgradeTests.ActivityThenEvent>("ActivityThenEvent")
                .AddOrchestrator<UpgradeTests.ParentOrchestration>("ParentOrchestration")
                .AddOrchestrator<UpgradeTests.ChildOrchestration>("ChildOrchestration")
                .AddOrchestrator<UpgradeTests.TimerSoon>("TimerSoon")
                .AddOrchestrator<UpgradeTests.TwoEvents>("TwoEvents")
                .AddOrchestrator<UpgradeTests.EntityCaller>("EntityCaller")
                .AddOrchestrator<UpgradeTests.Looper>("Looper")
                .AddOrchestrator<UpgradeTests.LateStarter>("LateStarter")
                .AddActivityFunc<string, string>("Greet", (_, input) => $"Hello, {input}!")
                .AddEntity<FixtureCounter>("Counter"))
            .UseSqlite(s => s.DatabasePath = file));
        builder.Services.AddDurableTaskClient(b => b.UseSqlite(s => s.DatabasePath = file));
        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<DurableTaskClient>();

        // Act
        await client.RaiseEventAsync("fx-event-timeout", "Approval", "yes");
        await client.RaiseEventAsync("fx-activity-event", "Continue", "go");
        await client.RaiseEventAsync("fx-parent:child", "ChildGo", "go");
        await client.RaiseEventAsync("fx-buffered", "First", "one");
        await client.RaiseEventAsync("fx-entity-caller", "Finish", "done");
        await client.RaiseEventAsync("fx-continue-as-new", "Stop", "now");

        // Assert
        foreach (var (id, output) in new[]
        {
            ("fx-event-timeout", "order-1:yes"), ("fx-activity-event", "Hello, fixture!|go"), ("fx-parent:child", "p-child:go"),
            ("fx-parent", "parent(p-child:go)"), ("fx-timer", "timer fired"), ("fx-buffered", "one,two"), ("fx-entity-caller", "8:done"),
            ("fx-continue-as-new", "generation 2:now"), ("fx-scheduled-start", "late:queued"),
        })
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
            Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{id}: {done.RuntimeStatus} {done.FailureDetails}");
            Assert.Equal(output, done.ReadOutputAs<string>());
        }

        var counter = await client.Entities.GetEntityAsync(new EntityInstanceId("Counter", "fx"), includeState: true);
        Assert.Equal(8, counter!.State.ReadAs<int>());
        await host.StopAsync();
    }

    private sealed class FixtureCounter : TaskEntity<int>
    {
        public void Add(int amount) => State += amount;

        public int AddAndGet(int amount) => State += amount;

        public int Get() => State;
    }
}
