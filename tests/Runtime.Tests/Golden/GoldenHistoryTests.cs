using Serverless.DurableTask;
using Serverless.DurableTask.Engine;

namespace Serverless.Runtime.Tests.Golden;

/// <summary>
/// Replays checked-in histories through today's orchestrator code, as a restarted host would replay an instance
/// that was recorded by an older build. A failure here means a deployed change would break running instances.
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
        var executor = new OrchestrationExecutor(sample.Current(), fixture.InstanceId, JsonDataConverter.Default, null);

        // Act
        var result = executor.Execute(fixture.Events(), []);

        // Assert
        Assert.NotNull(result.Outcome);
        Assert.True(result.Outcome.Failure is null, $"replay failed: {result.Outcome.Failure}");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.Outcome.Status);
        Assert.Equal(fixture.Output, result.Outcome.Output);
        Assert.Empty(result.NewActions);
    }

    [Theory]
    [InlineData("sequence", "CallActivityAsync('SayGoodbye') as task #0")]
    [InlineData("fan-out", "as task #4, but the orchestrator code did not schedule it")]
    [InlineData("timer-event", "CreateTimer as task #0, but the orchestrator code did not schedule it")]
    [InlineData("entity-call", "CallEntityAsync('@counter@golden', 'Reset') as task #0")]
    public void Replay_ChangedCode_FailsWithNonDeterminismNamingTheStep(string name, string expectedMessage)
    {
        // Arrange
        var sample = GoldenSamples.Get(name);
        var fixture = Load(name);
        var executor = new OrchestrationExecutor(sample.Changed(), fixture.InstanceId, JsonDataConverter.Default, null);

        // Act
        var result = executor.Execute(fixture.Events(), []);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.Outcome?.Status);
        Assert.Equal(typeof(NonDeterministicOrchestrationException).FullName, result.Outcome!.Failure!.ErrorType);
        Assert.Contains(expectedMessage, result.Outcome.Failure.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Fixtures_RecordedByTheEngine_CoverEveryKindOfStep()
    {
        // Arrange
        var types = GoldenSamples.All.SelectMany(s => Load(s.Name).Events()).Select(e => e.GetType()).ToHashSet();

        // Assert: the fixtures exercise activities, timers, external events and entity calls, not just one path.
        Assert.Contains(typeof(TaskScheduledEvent), types);
        Assert.Contains(typeof(TaskCompletedEvent), types);
        Assert.Contains(typeof(TimerCreatedEvent), types);
        Assert.Contains(typeof(TimerFiredEvent), types);
        Assert.Contains(typeof(EventRaisedEvent), types);
        Assert.Contains(typeof(EntityOperationCalledEvent), types);
        Assert.Contains(typeof(EntityOperationSignaledEvent), types);
        Assert.Contains(typeof(EntityOperationCompletedEvent), types);
        Assert.Contains(typeof(ExecutionCompletedEvent), types);
    }

    private static GoldenFixture Load(string name) => GoldenFixture.Load(Path.Combine(AppContext.BaseDirectory, "Golden", name + ".json"));
}
