using System.Diagnostics;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Serverless.Host.Tests.Infrastructure;
using Serverless.Host.Tests.Sample;

namespace Serverless.Host.Tests;

public sealed class ShutdownTests
{
    [Fact]
    public async Task Stop_ActivityStillRunning_CancelledAfterGracePeriodAndResumedAtOnceOnRestart()
    {
        SlowWork.Reset();
        var directory = FunctionsTestHost.NewDirectory();
        const string hostJson = """{ "version": "2.0", "extensions": { "durableTask": { "hubName": "test", "shutdownGracePeriod": "00:00:01" } } }""";
        string id;
        var first = await FunctionsTestHost.StartAsync([typeof(SlowWork)], hostJson, contentRoot: directory);
        id = await first.DurableClient.ScheduleNewOrchestrationInstanceAsync(nameof(SlowWork.SlowOrchestration));
        await SlowWork.ActivityStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var stopwatch = Stopwatch.StartNew();
        await first.DisposeAsync();
        stopwatch.Stop();

        Assert.True(SlowWork.ActivityCancelled.Task.IsCompleted, "the running activity was not told to stop");
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(8));

        SlowWork.Block = false;
        await using var second = await FunctionsTestHost.StartAsync([typeof(SlowWork)], hostJson, contentRoot: directory);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var done = await second.DurableClient.WaitForInstanceCompletionAsync(id, true, cts.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("job done", done.ReadOutputAs<string>());
    }
}
