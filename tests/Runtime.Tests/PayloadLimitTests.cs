using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Serverless.DurableTask;
using Serverless.DurableTask.Engine;

namespace Serverless.Runtime.Tests;

/// <summary>
/// The hub's payload limit (4 MiB by default): what is larger is refused where it enters, with an error that says what
/// and how large, and nothing of it is stored — by the client for inputs, events, terminate outputs and signals, by the
/// worker for activity results and for what an orchestration step would store.
/// </summary>
public sealed class PayloadLimitTests
{
    private static readonly string TooLarge = new('x', PayloadLimit.DefaultMaxBytes + 1);

    // Just under the limit once serialized as a JSON string (two quotes).
    private static readonly string Fits = new('x', PayloadLimit.DefaultMaxBytes - 2);

    [Theory]
    [Stores]
    public async Task Client_StartWithAnInputOverTheLimit_IsRefused_AndNoInstanceExists(StoreKind store)
    {
        await using var hub = await TestHub.StartAsync(store, r => r.AddOrchestratorFunc<string, int>("Length", (_, s) => s.Length));

        var ex = await Assert.ThrowsAsync<PayloadTooLargeException>(() => hub.Client.ScheduleNewOrchestrationInstanceAsync("Length", TooLarge, new StartOrchestrationOptions("big")));

        Assert.Contains("orchestration input", ex.Message, StringComparison.Ordinal);
        Assert.Equal(PayloadLimit.DefaultMaxBytes + 3, ex.Size);
        Assert.Null(await hub.Client.GetInstanceAsync("big"));

        // At the limit it is taken.
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Length", Fits);
        Assert.Equal(Fits.Length, (await hub.WaitForCompletionAsync(id)).ReadOutputAs<int>());
    }

    [Theory]
    [Stores]
    public async Task Client_EventAndSignalOverTheLimit_AreRefused_AndTheInstanceNeverSeesThem(StoreKind store)
    {
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<object?, string>("Wait", async (ctx, _) => (await ctx.WaitForExternalEvent<string>("go")).Length.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .AddEntity("Box", _ => new Box()));
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Wait");
        await hub.Client.WaitForInstanceStartAsync(id);

        var raise = await Assert.ThrowsAsync<PayloadTooLargeException>(() => hub.Client.RaiseEventAsync(id, "go", TooLarge));
        Assert.Contains("data of event 'go'", raise.Message, StringComparison.Ordinal);
        var signal = await Assert.ThrowsAsync<PayloadTooLargeException>(() => hub.Client.Entities.SignalEntityAsync(new EntityInstanceId("Box", "b"), "Set", TooLarge));
        Assert.Contains("input of entity operation 'Set'", signal.Message, StringComparison.Ordinal);
        var terminate = await Assert.ThrowsAsync<PayloadTooLargeException>(() => hub.Client.TerminateInstanceAsync(id, TooLarge));
        Assert.Contains("terminate output", terminate.Message, StringComparison.Ordinal);

        // The instance still waits, and the next event of a size it may take is the one it gets.
        await hub.Client.RaiseEventAsync(id, "go", "four");
        var done = await hub.WaitForCompletionAsync(id);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("4", done.ReadOutputAs<string>());
        Assert.Null(await hub.Client.Entities.GetEntityAsync(new EntityInstanceId("Box", "b")));
    }

    [Theory]
    [Stores]
    public async Task Activity_ResultOverTheLimit_FailsTheActivity_AndTheOrchestrationHearsWhy(StoreKind store)
    {
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<object?, string>("Huge", (_, _) => TooLarge)
            .AddOrchestratorFunc<object?, string>("CallHuge", async (ctx, _) =>
            {
                try
                {
                    await ctx.CallActivityAsync<string>("Huge");
                    return "stored";
                }
                catch (TaskFailedException ex)
                {
                    return $"{ex.FailureDetails.ErrorType}: {ex.FailureDetails.ErrorMessage}";
                }
            }));

        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("CallHuge");
        var done = await hub.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        var said = done.ReadOutputAs<string>()!;
        Assert.StartsWith(PayloadLimit.FailureType, said, StringComparison.Ordinal);
        Assert.Contains("result of activity 'Huge'", said, StringComparison.Ordinal);
        Assert.DoesNotContain(await hub.GetHistoryAsync(id), e => e is TaskCompletedEvent);
    }

    [Theory]
    [Stores("output")]
    [Stores("activity input")]
    [Stores("sub-orchestration input")]
    [Stores("custom status")]
    public async Task Orchestration_StepThatWouldStoreTooMuch_FailsTheInstance_NamingWhat(StoreKind store, string what)
    {
        var ran = new CallCounter();
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<string, int>("Take", (_, s) =>
            {
                ran.Increment();
                return s.Length;
            })
            .AddOrchestratorFunc<string, int>("Child", (_, s) => s.Length)
            .AddOrchestratorFunc<string, object?>("Greedy", async (ctx, kind) =>
            {
                switch (kind)
                {
                    case "output":
                        return TooLarge;
                    case "activity input":
                        return await ctx.CallActivityAsync<int>("Take", TooLarge);
                    case "sub-orchestration input":
                        return await ctx.CallSubOrchestratorAsync<int>("Child", TooLarge);
                    default:
                        ctx.SetCustomStatus(TooLarge);
                        return null;
                }
            }));

        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Greedy", what);
        var done = await hub.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Equal(PayloadLimit.FailureType, done.FailureDetails!.ErrorType);
        var expected = what switch
        {
            "output" => "orchestration output",
            "activity input" => "input of activity 'Take'",
            "sub-orchestration input" => "input of orchestration 'Child'",
            _ => "orchestration custom status",
        };
        Assert.Contains(expected, done.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        Assert.Null(done.SerializedOutput);
        Assert.Equal(0, ran.Value);
        var instances = new List<OrchestrationMetadata>();
        await foreach (var instance in hub.Client.GetAllInstancesAsync(new OrchestrationQuery()))
        {
            instances.Add(instance);
        }

        Assert.Equal([id], instances.Select(i => i.InstanceId));
    }

    [Theory]
    [Stores]
    public async Task Entity_BatchThatWouldStoreTooMuch_IsDeadLettered_TheCallerHearsWhy_AndTheStateStays(StoreKind store)
    {
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddEntity("Box", _ => new Box())
            .AddOrchestratorFunc<string, string>("Caller", async (ctx, op) =>
            {
                var box = new EntityInstanceId("Box", "b");
                await ctx.Entities.CallEntityAsync(box, "Set", "small");
                try
                {
                    await ctx.Entities.CallEntityAsync(box, op);
                    return "stored";
                }
                catch (EntityOperationFailedException ex)
                {
                    return $"{ex.FailureDetails.ErrorType}: {ex.FailureDetails.ErrorMessage}";
                }
            }));

        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Caller", "Fill");
        var done = await hub.WaitForCompletionAsync(id);

        // The caller is answered (not left waiting), with the reason.
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ToString());
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        var said = done.ReadOutputAs<string>()!;
        Assert.StartsWith(PayloadLimit.FailureType, said, StringComparison.Ordinal);
        Assert.Contains("state of entity '@box@b'", said, StringComparison.Ordinal);

        // The entity kept the state of its last good batch, and the refused operation is a dead letter with the reason.
        var box = await hub.Client.Entities.GetEntityAsync(new EntityInstanceId("Box", "b"), includeState: true);
        Assert.Equal("small", box!.State.ReadAs<string>());
        var dead = Assert.Single(await hub.Store.GetDeadLettersAsync(10, CancellationToken.None));
        Assert.Equal("@box@b", dead.InstanceId);
        Assert.Contains("state of entity '@box@b'", dead.Reason, StringComparison.Ordinal);
    }

    private sealed class Box : TaskEntity<string?>
    {
        public void Set(string value) => State = value;

        public void Fill() => State = TooLarge;

        protected override string? InitializeState(TaskEntityOperation entityOperation) => null;
    }
}
