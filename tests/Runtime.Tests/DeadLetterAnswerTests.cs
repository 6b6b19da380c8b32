using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;

namespace Serverless.Runtime.Tests;

/// <summary>
/// Work that cannot be done is not silent: an orchestration an entity starts under an id that is still running is
/// refused with a dead letter that says so (the entity gets no reply), and the running instance is left alone.
/// Entity calls whose messages are dead-lettered answer their callers (see PayloadLimitTests).
/// </summary>
public sealed class DeadLetterAnswerTests
{
    [Theory]
    [Stores]
    public async Task Entity_StartsAnOrchestrationUnderARunningId_TheStartIsADeadLetterWithTheReason(StoreKind store)
    {
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<string?, string>("Wait", async (ctx, _) => await ctx.WaitForExternalEvent<string>("go"))
            .AddEntity("Starter", _ => new Starter()));
        await hub.Client.ScheduleNewOrchestrationInstanceAsync("Wait", input: null, options: new StartOrchestrationOptions("runner"));
        await hub.Client.WaitForInstanceStartAsync("runner");

        await hub.Client.Entities.SignalEntityAsync(new EntityInstanceId("Starter", "s"), "Start");
        Serverless.DurableTask.Engine.DeadLetter? dead = null;
        using var timeout = new CancellationTokenSource(TestHub.DefaultTimeout);
        while (dead is null)
        {
            timeout.Token.ThrowIfCancellationRequested();
            dead = (await hub.Store.GetDeadLettersAsync(10, timeout.Token)).SingleOrDefault();
            if (dead is null)
            {
                await Task.Delay(50, timeout.Token);
            }
        }

        Assert.Equal(("start", "runner"), (dead.Kind, dead.InstanceId));
        Assert.Contains("'@starter@s' started an orchestration that was not created", dead.Reason, StringComparison.Ordinal);
        Assert.Contains("'runner' already exists and is Running", dead.Reason, StringComparison.Ordinal);

        // The running instance was not touched: it still takes its event and finishes with it.
        await hub.Client.RaiseEventAsync("runner", "go", "first");
        var done = await hub.WaitForCompletionAsync("runner");
        Assert.Equal("first", done.ReadOutputAs<string>());
    }

    private sealed class Starter : TaskEntity<int>
    {
        public void Start() => Context.ScheduleNewOrchestration("Wait", "second", new StartOrchestrationOptions("runner"));
    }
}
