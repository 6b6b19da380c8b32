using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Serverless.Runtime.Tests;

public sealed class SmokeTests
{
    [Theory]
    [Stores]
    public async Task HelloSequence_CompletesWithOutputs(StoreKind store)
    {
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<string, string>("SayHello", (_, name) => $"Hello {name}!")
            .AddOrchestratorFunc<object?, List<string>>("HelloSequence", async (ctx, _) =>
            [
                await ctx.CallActivityAsync<string>("SayHello", "Tokyo"),
                await ctx.CallActivityAsync<string>("SayHello", "Seattle"),
                await ctx.CallActivityAsync<string>("SayHello", "London"),
            ]));

        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("HelloSequence");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var result = await hub.Client.WaitForInstanceCompletionAsync(id, true, cts.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(["Hello Tokyo!", "Hello Seattle!", "Hello London!"], result.ReadOutputAs<List<string>>());
    }
}
