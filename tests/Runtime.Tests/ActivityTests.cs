using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Serverless.DurableTask.Worker;

namespace Serverless.Runtime.Tests;

public sealed class ActivityTests
{
    [Theory]
    [Stores]
    public async Task CallActivity_Chain_PassesEachResultToTheNext(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<int, int>("Double", (_, x) => x * 2)
            .AddOrchestratorFunc<int, int>("Chain", async (ctx, x) =>
            {
                for (var i = 0; i < 5; i++)
                {
                    x = await ctx.CallActivityAsync<int>("Double", x);
                }

                return x;
            }));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Chain", 3);
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(96, result.ReadOutputAs<int>());
    }

    [Theory]
    [Stores]
    public async Task CallActivity_FanOutFanIn100_AllResultsAggregated(StoreKind store)
    {
        // Arrange
        var calls = new CallCounter();
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<int, int>("Square", (_, x) =>
            {
                calls.Increment();
                return x * x;
            })
            .AddOrchestratorFunc<int, int>("FanOut", async (ctx, n) =>
            {
                var tasks = Enumerable.Range(1, n).Select(i => ctx.CallActivityAsync<int>("Square", i)).ToList();
                var results = await Task.WhenAll(tasks);
                return results.Sum();
            }));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("FanOut", 100);
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(Enumerable.Range(1, 100).Sum(i => i * i), result.ReadOutputAs<int>());
        Assert.Equal(100, calls.Value);
    }

    [Theory]
    [Stores]
    public async Task CallActivity_ActivityThrows_OrchestratorCatchesTaskFailedExceptionWithDetails(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivity<ThrowingActivity>()
            .AddOrchestratorFunc<object?, CaughtFailure>("Catcher", async (ctx, _) =>
            {
                try
                {
                    await ctx.CallActivityAsync<string>(nameof(ThrowingActivity), "disk full");
                    return new CaughtFailure("none", "none", "none", -1);
                }
                catch (TaskFailedException ex)
                {
                    return new CaughtFailure(ex.TaskName, ex.FailureDetails.ErrorType, ex.FailureDetails.ErrorMessage, ex.TaskId);
                }
            }));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Catcher");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        var caught = result.ReadOutputAs<CaughtFailure>()!;
        Assert.Equal(nameof(ThrowingActivity), caught.TaskName);
        Assert.Equal(typeof(InvalidOperationException).FullName, caught.ErrorType);
        Assert.Equal("disk full", caught.ErrorMessage);
        Assert.Equal(0, caught.TaskId);
    }

    [Theory]
    [Stores]
    public async Task CallActivity_FailureUnhandled_InstanceFailedWithFailureDetails(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivity<ThrowingActivity>()
            .AddOrchestratorFunc<string>("Unhandled", ctx => ctx.CallActivityAsync<string>(nameof(ThrowingActivity), "no route to host")));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Unhandled");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        var failure = result.FailureDetails!;
        Assert.Equal(typeof(TaskFailedException).FullName, failure.ErrorType);
        Assert.Contains(nameof(ThrowingActivity), failure.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("no route to host", failure.ErrorMessage, StringComparison.Ordinal);
        Assert.NotNull(failure.InnerFailure);
        Assert.Equal(typeof(InvalidOperationException).FullName, failure.InnerFailure!.ErrorType);
        Assert.True(failure.IsCausedBy<TaskFailedException>());
    }

    [Theory]
    [Stores]
    public async Task CallActivity_UnregisteredActivity_TaskFailsWithActivityTaskNotFound(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddOrchestratorFunc<string>("CallsMissing", ctx => ctx.CallActivityAsync<string>("DoesNotExist")));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("CallsMissing");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert: the task fails as the SDK's own worker fails it (GrpcDurableTaskWorker answers an unknown activity with
        // the error type "ActivityTaskNotFound"); our engine used to report its own TaskNotRegisteredException.
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal("ActivityTaskNotFound", result.FailureDetails!.InnerFailure!.ErrorType);
        Assert.Contains("DoesNotExist", result.FailureDetails.InnerFailure.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("DoesNotExist", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [Stores]
    public async Task RetryPolicy_SucceedsOnThirdAttempt_RetriesThroughDurableTimers(StoreKind store)
    {
        // Arrange
        var attempts = new CallCounter();
        var policy = new RetryPolicy(maxNumberOfAttempts: 5, firstRetryInterval: TimeSpan.FromMilliseconds(50));
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<object?, string>("Flaky", (_, _) =>
            {
                var attempt = attempts.Increment();
                return attempt < 3 ? throw new TimeoutException($"attempt {attempt} timed out") : $"ok on attempt {attempt}";
            })
            .AddOrchestratorFunc<string>("Retrying", ctx => ctx.CallActivityAsync<string>("Flaky", null, TaskOptions.FromRetryPolicy(policy))));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Retrying");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("ok on attempt 3", result.ReadOutputAs<string>());
        Assert.Equal(3, attempts.Value);
        var history = await hub.GetHistoryAsync(id);
        Assert.Equal(3, history.Count(e => e.EventType == EventType.TaskScheduled));
        Assert.Equal(2, history.Count(e => e.EventType == EventType.TaskFailed));
        Assert.Equal(2, history.Count(e => e.EventType == EventType.TimerCreated));
        Assert.Equal(2, history.Count(e => e.EventType == EventType.TimerFired));
    }

    [Theory]
    [Stores]
    public async Task RetryPolicy_AlwaysFails_GivesUpAfterMaxAttempts(StoreKind store)
    {
        // Arrange
        var attempts = new CallCounter();
        var policy = new RetryPolicy(maxNumberOfAttempts: 3, firstRetryInterval: TimeSpan.FromMilliseconds(20), backoffCoefficient: 2);
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<object?, string>("Broken", (_, _) => Fail.Always(attempts, "broken"))
            .AddOrchestratorFunc<string>("GivesUp", ctx => ctx.CallActivityAsync<string>("Broken", null, TaskOptions.FromRetryPolicy(policy))));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("GivesUp");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(3, attempts.Value);
        Assert.Equal(typeof(TaskFailedException).FullName, result.FailureDetails!.ErrorType);
        Assert.Equal("broken (attempt 3)", result.FailureDetails.InnerFailure!.ErrorMessage);
    }

    [Theory]
    [Stores]
    public async Task RetryPolicy_HandleFailureRejects_NoRetry(StoreKind store)
    {
        // Arrange
        var attempts = new CallCounter();
        var policy = new RetryPolicy(maxNumberOfAttempts: 5, firstRetryInterval: TimeSpan.FromMilliseconds(20))
        {
            HandleFailure = failure => !failure.IsCausedBy<ArgumentException>(),
        };
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<string, string>("Validate", (_, kind) =>
            {
                var attempt = attempts.Increment();
                return kind == "bad-input" ? throw new ArgumentException("input is invalid") : $"attempt {attempt}";
            })
            .AddOrchestratorFunc<string>("Selective", ctx => ctx.CallActivityAsync<string>("Validate", "bad-input", TaskOptions.FromRetryPolicy(policy))));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Selective");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(1, attempts.Value);
        Assert.Equal(typeof(ArgumentException).FullName, result.FailureDetails!.InnerFailure!.ErrorType);
        var history = await hub.GetHistoryAsync(id);
        Assert.DoesNotContain(history, e => e.EventType == EventType.TimerCreated);
    }

    [Theory]
    [Stores]
    public async Task RetryPolicy_BackoffCoefficientAndMaxInterval_TimerDelaysGrowThenCap(StoreKind store)
    {
        // Arrange: 50 ms, doubled each retry, capped at 120 ms: 50, 100, 120.
        var attempts = new CallCounter();
        var policy = new RetryPolicy(maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromMilliseconds(50), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMilliseconds(120));
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<object?, string>("AlwaysFails", (_, _) => Fail.Always(attempts, "no"))
            .AddOrchestratorFunc<string>("Backoff", ctx => ctx.CallActivityAsync<string>("AlwaysFails", null, TaskOptions.FromRetryPolicy(policy))));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Backoff");
        await hub.WaitForCompletionAsync(id);

        // Assert: each retry timer's due time minus the time it was created is the policy's delay. The SDK's retry loop
        // (DTFx RetryInterceptor) also schedules a timer due at once after the last failed attempt ("Dummy timer for
        // back-compat"), so its history ends with a zero delay our engine did not write.
        var timers = (await hub.GetHistoryAsync(id)).OfType<TimerCreatedEvent>().ToList();
        var delays = timers.Select(t => t.FireAt - t.Timestamp).ToList();
        Assert.Equal([TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(120), TimeSpan.Zero], delays);
        Assert.Equal(4, attempts.Value);
    }

    [Theory]
    [Stores]
    public async Task RetryPolicy_RetryTimeoutElapsed_StopsBeforeMaxAttempts(StoreKind store)
    {
        // Arrange: up to 20 attempts 300 ms apart, but no retries once 2 s have passed (wide enough that a loaded
        // machine still gets the first failure back in time for a retry).
        var attempts = new CallCounter();
        var policy = new RetryPolicy(maxNumberOfAttempts: 20, firstRetryInterval: TimeSpan.FromMilliseconds(300), retryTimeout: TimeSpan.FromSeconds(2));
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<object?, string>("AlwaysFails", (_, _) => Fail.Always(attempts, "no"))
            .AddOrchestratorFunc<string>("Bounded", ctx => ctx.CallActivityAsync<string>("AlwaysFails", null, TaskOptions.FromRetryPolicy(policy))));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Bounded");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert: at least one retry, and no more than fit: a failure before 2 s is retried 300 ms later, so failures
        // at 0, 0.3, ... 1.8 s are retried and the eighth attempt (at 2.1 s at the earliest) is the last.
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.InRange(attempts.Value, 2, 8);
    }

    [Theory]
    [Stores]
    public async Task ActivityContext_IdempotencyKey_StableForTaskAndDistinctAcrossTasks(StoreKind store)
    {
        // Arrange
        await using var hub = await TestHub.StartAsync(store, r => r
            .AddActivityFunc<object?, string>("Key", (ctx, _) => ((StoreTaskActivityContext)ctx).IdempotencyKey)
            .AddOrchestratorFunc<string[]>("Keys", async ctx =>
                [await ctx.CallActivityAsync<string>("Key"), await ctx.CallActivityAsync<string>("Key")]));

        // Act
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync("Keys");
        var result = await hub.WaitForCompletionAsync(id);

        // Assert
        var keys = result.ReadOutputAs<string[]>()!;
        Assert.Equal(2, keys.Length);
        Assert.NotEqual(keys[0], keys[1]);
        Assert.All(keys, k => Assert.StartsWith(id + ":", k, StringComparison.Ordinal));
        Assert.EndsWith(":0", keys[0], StringComparison.Ordinal);
        Assert.EndsWith(":1", keys[1], StringComparison.Ordinal);
    }

    private sealed record CaughtFailure(string TaskName, string ErrorType, string ErrorMessage, int TaskId);

    private sealed class ThrowingActivity : TaskActivity<string, string>
    {
        public override Task<string> RunAsync(TaskActivityContext context, string input) => throw new InvalidOperationException(input);
    }
}
