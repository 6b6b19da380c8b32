using Google.Protobuf;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Grpc;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.Runtime.Tests.Golden;

/// <summary>
/// Replays checked-in histories through today's orchestrator code, as a restarted host replays an instance recorded by
/// an older build: through <see cref="GrpcOrchestrationRunner"/>, the seam the worker runs every step through. The
/// fixtures are the stores' protobuf histories, recorded by <see cref="GoldenHistoryRecorder"/> from real runs. A
/// failure here means a deployed change would break running instances.
/// </summary>
public sealed class GoldenHistoryTests
{
    [Theory]
    [InlineData("sequence")]
    [InlineData("fan-out")]
    [InlineData("timer-event")]
    [InlineData("entity-call")]
    public void Replay_CurrentCode_CompletesWithRecordedOutput(string name)
    {
        // Arrange
        var sample = GoldenSamples.Get(name);
        var fixture = Load(name);

        // Act
        var response = Replay(fixture, sample.Current());

        // Assert: the last step, replayed, completes with the recorded output and asks for nothing new.
        var action = Assert.Single(response.Actions);
        Assert.Equal(P.OrchestratorAction.OrchestratorActionTypeOneofCase.CompleteOrchestration, action.OrchestratorActionTypeCase);
        var completion = action.CompleteOrchestration;
        Assert.True(completion.OrchestrationStatus == P.OrchestrationStatus.Completed, $"replay failed: {completion.FailureDetails}");
        Assert.Equal(fixture.Output, completion.Result);
    }

    [Theory]
    [InlineData("sequence", "scheduled an activity task with sequence number 0 named 'SayHello', but the current orchestration replay instead scheduled an activity task named 'SayGoodbye'")]
    [InlineData("fan-out", "scheduled an activity task with sequence ID 4 and name 'Square' (version ''), but the current replay execution hasn't (yet?) scheduled this task")]
    [InlineData("timer-event", "scheduled a timer task with sequence number 0 but the current replay execution hasn't (yet?) scheduled this task")]
    [InlineData("entity-call", "scheduled a send event task with sequence ID 0, type 'EventSent', name 'op', instance ID '@counter@golden', but the current orchestration replay instead scheduled a ScheduleTaskOrchestratorAction task")]
    public void Replay_ChangedCode_FailsWithNonDeterminismNamingTheStep(string name, string expectedMessage)
    {
        // Arrange
        var sample = GoldenSamples.Get(name);
        var fixture = Load(name);

        // Act
        var response = Replay(fixture, sample.Changed());

        // Assert: DTFx's replay (inside the SDK's runner) fails the orchestration; our engine reported the same with its
        // own exception type and wording ("... as task #0").
        var completion = Assert.Single(response.Actions, a => a.OrchestratorActionTypeCase == P.OrchestratorAction.OrchestratorActionTypeOneofCase.CompleteOrchestration).CompleteOrchestration;
        Assert.Equal(P.OrchestrationStatus.Failed, completion.OrchestrationStatus);
        Assert.Equal("DurableTask.Core.Exceptions.NonDeterministicOrchestrationException", completion.FailureDetails.ErrorType);
        Assert.Contains(expectedMessage, completion.FailureDetails.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_EntityOperationRenamed_NotDetectedByTheReplayEngine()
    {
        // Arrange: the recorded first call is "Add"; this code calls "Reset". Our engine failed this replay. DTFx compares
        // an entity call only as a SendEvent named "op" (the operation is inside the request's JSON), so the SDK does not
        // see the change: the replay feeds the recorded reply to the renamed call and completes as recorded. Kept as a test
        // so that the difference stays known (and noticed if a later SDK starts to detect it).
        var fixture = Load("entity-call");

        // Act
        var response = Replay(fixture, new GoldenSamples.EntityCall("Reset"));

        // Assert
        var completion = Assert.Single(response.Actions).CompleteOrchestration;
        Assert.Equal(P.OrchestrationStatus.Completed, completion.OrchestrationStatus);
        Assert.Equal(fixture.Output, completion.Result);
    }

    [Fact]
    public void Fixtures_RecordedByTheWorker_CoverEveryKindOfStep()
    {
        // Arrange
        var events = GoldenSamples.All.SelectMany(s => Load(s.Name).Events()).ToList();
        var kinds = events.Select(e => e.EventTypeCase).ToHashSet();

        // Assert: the fixtures exercise activities, timers, external events and entity calls, not just one path.
        Assert.Contains(P.HistoryEvent.EventTypeOneofCase.ExecutionStarted, kinds);
        Assert.Contains(P.HistoryEvent.EventTypeOneofCase.OrchestratorStarted, kinds);
        Assert.Contains(P.HistoryEvent.EventTypeOneofCase.TaskScheduled, kinds);
        Assert.Contains(P.HistoryEvent.EventTypeOneofCase.TaskCompleted, kinds);
        Assert.Contains(P.HistoryEvent.EventTypeOneofCase.TimerCreated, kinds);
        Assert.Contains(P.HistoryEvent.EventTypeOneofCase.TimerFired, kinds);
        Assert.Contains(P.HistoryEvent.EventTypeOneofCase.EventRaised, kinds);
        Assert.Contains(P.HistoryEvent.EventTypeOneofCase.ExecutionCompleted, kinds);

        // Entity calls and signals travel as DTFx messages: an EventSent "op" to @counter@golden (a signal carries
        // "signal": true, a call leaves it out), and the reply as an EventRaised named by the request id.
        var sent = events.Where(e => e.EventTypeCase == P.HistoryEvent.EventTypeOneofCase.EventSent).Select(e => e.EventSent).ToList();
        Assert.Contains(sent, e => e.InstanceId == "@counter@golden" && e.Name == "op" && !e.Input.Contains("\"signal\":true", StringComparison.Ordinal));
        Assert.Contains(sent, e => e.InstanceId == "@counter@golden" && e.Name == "op" && e.Input.Contains("\"signal\":true", StringComparison.Ordinal));
        Assert.Contains(events, e => e.EventTypeCase == P.HistoryEvent.EventTypeOneofCase.EventRaised && Guid.TryParse(e.EventRaised.Name, out _));
    }

    /// <summary>
    /// Runs the recorded last step again: the events before its <c>OrchestratorStarted</c> are the past, and the events
    /// it received (not those its own actions wrote) are the new events, as the worker hands them to the runner.
    /// </summary>
    private static P.OrchestratorResponse Replay(GoldenFixture fixture, ITaskOrchestrator orchestrator)
    {
        var history = fixture.Events();
        var lastStep = history.Select((e, i) => (e, i)).Last(x => x.e.EventTypeCase == P.HistoryEvent.EventTypeOneofCase.OrchestratorStarted).i;
        var request = new P.OrchestratorRequest
        {
            InstanceId = fixture.InstanceId,
            ExecutionId = history.First(e => e.EventTypeCase == P.HistoryEvent.EventTypeOneofCase.ExecutionStarted).ExecutionStarted.OrchestrationInstance.ExecutionId,
            EntityParameters = new P.OrchestratorEntityParameters { EntityMessageReorderWindow = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(30)) },
        };
        request.PastEvents.AddRange(history.Take(lastStep));
        request.NewEvents.AddRange(history.Skip(lastStep).Where(e => !WrittenByActions(e)));

        // Entities on, as the worker registers its shim factory.
        using var services = new ServiceCollection()
            .AddSingleton(new DurableTaskShimFactory(new DurableTaskWorkerOptions { EnableEntitySupport = true }, NullLoggerFactory.Instance))
            .BuildServiceProvider();
        var encoded = GrpcOrchestrationRunner.LoadAndRun(Convert.ToBase64String(request.ToByteArray()), orchestrator, services);
        return P.OrchestratorResponse.Parser.ParseFrom(Convert.FromBase64String(encoded));
    }

    private static bool WrittenByActions(P.HistoryEvent e) => e.EventTypeCase is P.HistoryEvent.EventTypeOneofCase.TaskScheduled
        or P.HistoryEvent.EventTypeOneofCase.TimerCreated
        or P.HistoryEvent.EventTypeOneofCase.EventSent
        or P.HistoryEvent.EventTypeOneofCase.SubOrchestrationInstanceCreated
        or P.HistoryEvent.EventTypeOneofCase.ExecutionCompleted;

    private static GoldenFixture Load(string name) => GoldenFixture.Load(Path.Combine(AppContext.BaseDirectory, "Golden", name + ".json"));
}
