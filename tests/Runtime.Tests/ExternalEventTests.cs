using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Serverless.DurableTask;

namespace Serverless.Runtime.Tests;

public sealed class ExternalEventTests
{
    [Theory]
    [Stores(true)]
    [Stores(false)]
    public async Task RaiseEvent_BeforeOrchestrationWaits_BufferedAndDeliveredInOrder(StoreKind store, bool extendedSessions)
    {
        // Arrange: the orchestration is busy in an activity while the events arrive; it waits for them only afterwards.
        var gateEntered = new Signal();
        var gate = new Signal();
        await using var hub = await TestHub.StartAsync(store, 
            r => r
                .AddActivityFunc<object?, string>("Gate", async (_, _) =>
                {
                    gateEntered.Set();
                    await gate.WaitAsync();
                    return "open";
                })
                .AddOrchestratorFunc<List<string>>("Collector", async ctx =>
                {
                    await ctx.CallActivityAsync<string>("Gate");
                    return
                    [
                        await ctx.WaitForExternalEvent<string>("A"),
                        await ctx.WaitForExternalEvent<string>("A"),
                        await ctx.WaitForExternalEvent<string>("A"),
                    ];
                }),
            o => o.ExtendedSessionsEnabled = extendedSessions);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Collector");
        await gateEntered.WaitAsync();

        // Act
        await hub.Client.RaiseEventAsync(id, "A", "A1");
        await hub.Client.RaiseEventAsync(id, "A", "A2");
        await hub.Client.RaiseEventAsync(id, "A", "A3");
        await hub.WaitForHistoryAsync(id, h => h.Count(e => e.EventType == EventType.EventRaised) == 3);
        gate.Set();
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(["A1", "A2", "A3"], result.ReadOutputAs<List<string>>());
    }

    [Theory]
    [Stores]
    public async Task RaiseEvent_100Concurrent_EachDeliveredExactlyOnce(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<int>("Summer", async ctx =>
            {
                var sum = 0;
                for (var i = 0; i < 100; i++)
                {
                    sum += await ctx.WaitForExternalEvent<int>("Number");
                }

                return sum;
            }));
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Summer");

        // Act
        await Task.WhenAll(Enumerable.Range(1, 100).Select(i => hub.Client.RaiseEventAsync(id, "Number", i)));
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(5050, result.ReadOutputAs<int>());
        Assert.Equal(100, (await hub.GetHistoryAsync(id)).Count(e => e.EventType == EventType.EventRaised));
    }

    [Theory]
    [Stores]
    public async Task RaiseEvent_TwoNames_EachWaitGetsItsOwnEvent(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<string>("TwoWaits", async ctx =>
            {
                var second = ctx.WaitForExternalEvent<int>("Second");
                var first = ctx.WaitForExternalEvent<int>("First");
                return $"{await first}-{await second}";
            }));
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("TwoWaits");

        // Act
        await hub.Client.RaiseEventAsync(id, "second", 2);
        await hub.Client.RaiseEventAsync(id, "FIRST", 1);
        var result = await hub.WaitForCompletionAsync(id);

        // Assert: event names match case-insensitively, as in Durable Functions.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("1-2", result.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task RaiseEvent_UnknownInstance_ThrowsOrchestrationNotFoundException(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, _ => { });

        // Act
        var error = await Assert.ThrowsAsync<OrchestrationNotFoundException>(() => hub.Client.RaiseEventAsync("no-such-instance", "A", "x"));

        // Assert
        Assert.Equal("no-such-instance", error.InstanceId);
    }

    [Theory]
    [Stores]
    public async Task RaiseEvent_FinishedInstance_ThrowsOrchestrationStateConflictException(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r.AddOrchestratorFunc<string>("Done", _ => Task.FromResult("done")));
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Done");
        await hub.WaitForCompletionAsync(id);

        // Act
        var error = await Assert.ThrowsAsync<OrchestrationStateConflictException>(() => hub.Client.RaiseEventAsync(id, "A", "x"));

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, error.Status);
        Assert.Equal(id, error.InstanceId);
    }

    [Theory]
    [Stores]
    public async Task SendEvent_FromOrchestration_DeliveredToWaitingInstance(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<string>("Receiver", ctx => ctx.WaitForExternalEvent<string>("Ping"))
            .AddOrchestratorFunc<string, string>("Sender", (ctx, target) =>
            {
                ctx.SendEvent(target, "Ping", $"from {ctx.InstanceId}");
                return Task.FromResult("sent");
            }));
        var receiver = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Receiver");

        // Act
        var sender = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Sender", receiver);
        var result = await hub.WaitForCompletionAsync(receiver);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal($"from {sender}", result.ReadOutputAs<string>());
        var senderHistory = await hub.GetHistoryAsync(sender);
        Assert.Contains(senderHistory, e => e is EventSentEvent { Name: "Ping" });
    }
}
