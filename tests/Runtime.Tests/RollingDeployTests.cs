using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Serverless.DurableTask.Worker;

namespace Serverless.Runtime.Tests;

/// <summary>
/// A rolling deploy: builds of one app share a store. Work a build cannot run — an orchestrator it does not have, a
/// version newer than its own — is left (never failed) until a build that can run it takes it; older instances keep
/// running on the newer build, and orchestrator code can branch on <see cref="TaskOrchestrationContext.Version"/>.
/// </summary>
public sealed class RollingDeployTests
{
    [Theory]
    [Stores]
    public async Task UnknownOrchestrator_IsLeftForABuildThatHasIt_NeverFailed(StoreKind store)
    {
        using var dir = new TempDirectory();
        string id;
        await using (var old = await TestHub.StartAsync(store, r => r.AddOrchestratorFunc<string>("Flow", _ => Task.FromResult("old")), directory: dir.Path))
        {
            id = await old.Client.ScheduleNewOrchestrationInstanceAsync("NewFlow", input: "x");
            await WaitUntilDeferredAsync(old.Worker, times: 2);
            var waiting = await old.Client.GetInstanceAsync(id);
            Assert.Equal(OrchestrationRuntimeStatus.Pending, waiting!.RuntimeStatus);
            Assert.Equal(1, old.Worker.Deferred.Instances);
            Assert.Contains("this build has no orchestrator named 'NewFlow'", old.Worker.Deferred.Last, StringComparison.Ordinal);
        }

        await using var next = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<string>("Flow", _ => Task.FromResult("new"))
            .AddOrchestratorFunc<string, string>("NewFlow", (_, s) => $"ran {s}"), directory: dir.Path);
        var done = await next.WaitForCompletionAsync(id);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("ran x", done.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task NewerVersion_IsLeftForTheNewBuild_AndOldInstancesFinishOnEither(StoreKind store)
    {
        using var dir = new TempDirectory();
        string oldId, newId;
        await using (var v1 = await TestHub.StartAsync(store, r => Flow(r, "build 1"), directory: dir.Path, versioning: Build("1.0")))
        {
            oldId = await v1.Client.ScheduleNewOrchestrationInstanceAsync("Flow", input: null, new StartOrchestrationOptions { Version = "1.0" });
            newId = await v1.Client.ScheduleNewOrchestrationInstanceAsync("Flow", input: null, new StartOrchestrationOptions { Version = "2.0" });

            // The old build runs its own version and leaves the newer one.
            Assert.Equal("1.0 on build 1", (await v1.WaitForCompletionAsync(oldId)).ReadOutputAs<string>());
            await WaitUntilDeferredAsync(v1.Worker, times: 2);
            Assert.Equal(OrchestrationRuntimeStatus.Pending, (await v1.Client.GetInstanceAsync(newId))!.RuntimeStatus);
            Assert.Contains("version '2.0' is newer than this build's version '1.0'", v1.Worker.Deferred.Last, StringComparison.Ordinal);
        }

        // The new build takes it; an instance of the old version also runs there (CurrentOrOlder).
        await using var v2 = await TestHub.StartAsync(store, r => Flow(r, "build 2"), directory: dir.Path, versioning: Build("2.0"));
        Assert.Equal("2.0 on build 2", (await v2.WaitForCompletionAsync(newId)).ReadOutputAs<string>());
        var older = await v2.Client.ScheduleNewOrchestrationInstanceAsync("Flow", input: null, new StartOrchestrationOptions { Version = "1.0" });
        Assert.Equal("1.0 on build 2", (await v2.WaitForCompletionAsync(older)).ReadOutputAs<string>());
        Assert.Equal(0, v2.Worker.Deferred.Steps);
    }

    private static void Flow(DurableTaskRegistry r, string build) =>
        r.AddOrchestratorFunc<object?, string>("Flow", (ctx, _) => $"{ctx.Version} on {build}");

    private static DurableTaskWorkerOptions.VersioningOptions Build(string version) => new()
    {
        Version = version,
        MatchStrategy = DurableTaskWorkerOptions.VersionMatchStrategy.CurrentOrOlder,
        FailureStrategy = DurableTaskWorkerOptions.VersionFailureStrategy.Reject,
    };

    private static async Task WaitUntilDeferredAsync(StoreDurableTaskWorker worker, int times)
    {
        using var timeout = new CancellationTokenSource(TestHub.DefaultTimeout);
        while (worker.Deferred.Steps < times)
        {
            await Task.Delay(50, timeout.Token);
        }
    }
}
