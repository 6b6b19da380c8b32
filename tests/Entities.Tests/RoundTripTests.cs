using System.Text.Json;
using Xunit.Abstractions;
using DurableTask.Core;
using DurableTask.Core.Entities;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.Entities.Tests;

/// <summary>
/// The orchestration side is the SDK's own: orchestrators run through GrpcOrchestrationRunner.LoadAndRun, their
/// SendEvent actions go to EntityBatchProcessor, and its replies come back as new EventRaised events.
/// </summary>
public sealed class RoundTripTests(ITestOutputHelper output)
{
    static World NewWorld() => new World()
        .Entity("counter", () => new Counter())
        .Entity("thrower", () => new Thrower())
        .Entity("relay", () => new Relay())
        .Entity("starter", () => new Starter())
        .Orchestrator("CallCounterOrchestrator", () => new CallCounterOrchestrator())
        .Orchestrator("CallFailingOrchestrator", () => new CallFailingOrchestrator())
        .Orchestrator("TransferOrchestrator", () => new TransferOrchestrator())
        .Orchestrator("EchoOrchestrator", () => new EchoOrchestrator());

    [Fact]
    public async Task Orchestration_calls_an_entity_and_completes_with_its_result()
    {
        World world = NewWorld();
        world.StartOrchestration("CallCounterOrchestrator", "orch-1", "5");

        await world.RunUntilIdleAsync();

        World.Orchestration orchestration = world.Orchestrations["orch-1"];
        Assert.NotNull(orchestration.Completion);
        Assert.Equal(P.OrchestrationStatus.Completed, orchestration.Completion!.OrchestrationStatus);
        Assert.Equal("5", orchestration.Completion.Result);
        Assert.Equal("5", world.EntityRows["@counter@a"].State);
        Assert.Null(world.EntityRows["@counter@a"].Scheduler);

        // What the 1.28.0 runner sent: SendEvent to @counter@a named "op" with DTFx's RequestMessage.
        (string target, P.HistoryEvent sent) = world.SentByOrchestrations[0];
        output.WriteLine($"{target} {sent.EventRaised.Name} {sent.EventRaised.Input}");
        Assert.Equal("@counter@a", target);
        Assert.Equal("op", sent.EventRaised.Name);
        using JsonDocument request = JsonDocument.Parse(sent.EventRaised.Input);
        Assert.Equal("add", request.RootElement.GetProperty("op").GetString());
        Assert.Equal("orch-1", request.RootElement.GetProperty("parent").GetString());
        Assert.Equal(orchestration.ExecutionId, request.RootElement.GetProperty("parentExecution").GetString());
        Assert.Equal("5", request.RootElement.GetProperty("input").GetString());

        // The reply came back as EventRaised named by the request id.
        Guid id = request.RootElement.GetProperty("id").GetGuid();
        P.HistoryEvent reply = orchestration.History.First(e => e.EventRaised?.Name == id.ToString());
        output.WriteLine($"reply {reply.EventRaised.Name} {reply.EventRaised.Input}");
    }

    [Fact]
    public async Task A_failing_operation_reaches_the_caller_as_EntityOperationFailedException_and_rolls_back()
    {
        World world = NewWorld();
        world.StartOrchestration("CallFailingOrchestrator", "orch-f", "\"thrower\"");

        await world.RunUntilIdleAsync();

        World.Orchestration orchestration = world.Orchestrations["orch-f"];
        Assert.Equal(P.OrchestrationStatus.Completed, orchestration.Completion!.OrchestrationStatus);
        Assert.Equal("\"System.InvalidOperationException|boom went the entity\"", orchestration.Completion.Result);

        // State and the signal of the failed operation were rolled back by the SDK.
        Assert.False(world.EntityRows.ContainsKey("@thrower@x"));
        Assert.False(world.EntityRows.ContainsKey("@counter@never"));
    }

    [Fact]
    public async Task Calling_an_unregistered_entity_fails_the_call_with_EntityTaskNotFound()
    {
        World world = NewWorld();
        world.StartOrchestration("CallFailingOrchestrator", "orch-n", "\"nobody\"");

        await world.RunUntilIdleAsync();

        World.Orchestration orchestration = world.Orchestrations["orch-n"];
        Assert.Equal("EntityTaskNotFound|No entity task named 'nobody' was found.", JsonSerializer.Deserialize<string>(orchestration.Completion!.Result));
    }

    [Fact]
    public async Task Critical_section_over_two_entities_defers_a_competing_signal_until_release()
    {
        World world = NewWorld();

        // Start values: a = 1, b = 2 (client signals, as DTFx's ClientEntityHelpers writes them).
        world.Enqueue("@counter@a", ClientSignal("@counter@a", "add", "1", world.Now));
        world.Enqueue("@counter@b", ClientSignal("@counter@b", "add", "2", world.Now));
        await world.RunUntilIdleAsync();

        world.StartOrchestration("TransferOrchestrator", "orch-t", null);

        // Run until a is locked by the orchestration, then a client signals a.
        for (int i = 0; i < 50 && !LockedBy(world, "@counter@a", "orch-t"); i++)
        {
            Assert.True(await world.StepAsync());
        }

        Assert.True(LockedBy(world, "@counter@a", "orch-t"));
        world.Enqueue("@counter@a", ClientSignal("@counter@a", "add", "100", world.Now));

        bool sawDeferred = false;
        for (int i = 0; i < 200 && await world.StepAsync(); i++)
        {
            if (world.EntityRows.TryGetValue("@counter@a", out var row) && row.Scheduler is not null
                && row.Scheduler.Contains("\"queue\":[{", StringComparison.Ordinal))
            {
                sawDeferred = true;
                output.WriteLine("deferred while locked: " + row.Scheduler);
            }
        }

        Assert.True(sawDeferred, "the competing signal was never deferred");
        World.Orchestration orchestration = world.Orchestrations["orch-t"];
        Assert.Equal(P.OrchestrationStatus.Completed, orchestration.Completion!.OrchestrationStatus);

        // Inside the lock the competing +100 had not run: a went 1 -> 11, b 2 -> 12.
        Assert.Equal("\"1,2,11,12\"", orchestration.Completion.Result);

        // After the release it ran, and both entities are unlocked with nothing deferred.
        Assert.Equal("111", world.EntityRows["@counter@a"].State);
        Assert.Equal("12", world.EntityRows["@counter@b"].State);
        Assert.Null(world.EntityRows["@counter@a"].Scheduler);
        Assert.Null(world.EntityRows["@counter@b"].Scheduler);

        // The lock went a -> b (forwarded, position 1) and b answered the orchestration.
        Assert.Contains(world.EntitySteps, s => s.Messages.Any(m => m.InstanceId == "@counter@b" && m.Event.EventRaised.Name == "op"
            && m.Event.EventRaised.Input.Contains("\"pos\":1", StringComparison.Ordinal)));
        Assert.Contains(world.EntitySteps, s => s.Messages.Any(m => m.InstanceId == "orch-t"
            && m.Event.EventRaised.Input.Contains("Lock Acquisition Completed", StringComparison.Ordinal)));
        foreach ((string target, P.HistoryEvent e) in world.SentByOrchestrations)
        {
            output.WriteLine($"{target} {e.EventRaised.Name} {e.EventRaised.Input}");
        }
    }

    [Fact]
    public async Task An_entity_signals_another_entity_now_and_later()
    {
        World world = NewWorld();
        DateTime later = world.Now.AddMinutes(5);
        world.Enqueue("@relay@r", ClientSignal("@relay@r", "forward", "{\"Key\":\"z\",\"Amount\":3}", world.Now));
        world.Enqueue("@relay@r", ClientSignal("@relay@r", "forward", $"{{\"Key\":\"z\",\"Amount\":4,\"At\":\"{later:o}\"}}", world.Now));

        await world.RunUntilIdleAsync();

        Assert.Equal("2", world.EntityRows["@relay@r"].State);
        Assert.Equal("3", world.EntityRows["@counter@z"].State);
        World.Message scheduled = Assert.Single(world.Queue);
        Assert.Equal("@counter@z", scheduled.Target);
        Assert.Equal(later, scheduled.VisibleAt);
        Assert.StartsWith("op@", scheduled.Event.EventRaised.Name, StringComparison.Ordinal);

        world.Now = later;
        await world.RunUntilIdleAsync();
        Assert.Equal("7", world.EntityRows["@counter@z"].State);
    }

    [Fact]
    public async Task An_entity_starts_an_orchestration()
    {
        World world = NewWorld();
        world.Enqueue("@starter@s", ClientSignal("@starter@s", "start", "\"hi\"", world.Now));

        await world.RunUntilIdleAsync();

        World.Orchestration echo = world.Orchestrations["echo-hi"];
        Assert.Equal("\"echo:hi\"", echo.Completion!.Result);
        Assert.Equal("1", world.EntityRows["@starter@s"].State);
    }

    /// <summary>What the dispatcher must set: both the shim factory's EnableEntitySupport and the request's EntityParameters.</summary>
    [Theory]
    [InlineData(false, true, "Durable entities are disabled because DurableTaskWorkerOptions.EnableEntitySupport=false")]
    [InlineData(true, false, "Durable entities are not supported by the current backend configuration.")]
    public async Task Entity_calls_need_EnableEntitySupport_and_EntityParameters(bool enable, bool parameters, string message)
    {
        World world = new World(enableEntitySupport: enable, sendEntityParameters: parameters)
            .Entity("counter", () => new Counter())
            .Orchestrator("CallCounterOrchestrator", () => new CallCounterOrchestrator());
        world.StartOrchestration("CallCounterOrchestrator", "orch-x", "5");

        await world.RunUntilIdleAsync();

        P.CompleteOrchestrationAction completion = world.Orchestrations["orch-x"].Completion!;
        Assert.Equal(P.OrchestrationStatus.Failed, completion.OrchestrationStatus);
        Assert.Equal("System.NotSupportedException", completion.FailureDetails.ErrorType);
        Assert.Equal(message, completion.FailureDetails.ErrorMessage);
        Assert.Empty(world.SentByOrchestrations);
    }

    static bool LockedBy(World world, string entity, string owner) =>
        world.EntityRows.TryGetValue(entity, out var row) && row.Scheduler is not null
        && row.Scheduler.Contains($"\"lockedBy\":\"{owner}\"", StringComparison.Ordinal);

    /// <summary>A client signal exactly as DTFx writes it (ClientEntityHelpers, what DurableEntityClient sends).</summary>
    internal static P.HistoryEvent ClientSignal(string entity, string operation, string? input, DateTime now, DateTime? at = null)
    {
        EntityMessageEvent e = ClientEntityHelpers.EmitOperationSignal(
            new OrchestrationInstance { InstanceId = entity },
            Guid.NewGuid(),
            operation,
            input,
            at is DateTime due ? (due, due) : null);
        return World.Raised(e.EventName, e.AsSerializedString(), now);
    }
}
