using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;

namespace Serverless.Runtime.Tests;

/// <summary>
/// Orchestrations written the way Microsoft's own samples write them (microsoft/durabletask-dotnet <c>samples/</c> and the
/// Durable Functions pattern pages on Microsoft Learn), registered with Microsoft's <see cref="DurableTaskRegistry"/> and
/// driven through Microsoft's <see cref="DurableTaskClient"/>; nothing of ours in the task code. Each runs unchanged on
/// both stores. Only names that would clash inside this test assembly and delays of hours are adapted; every deviation
/// from a sample is named where it is made (and the repository's naming rule: fields are <c>_logger</c>, not <c>this.logger</c>).
/// </summary>
public sealed class MicrosoftSamplesTests
{
    [Theory]
    [Stores]
    public async Task FunctionChaining_HelloSequence_ReturnsTheThreeGreetingsInOrder(StoreKind store)
    {
        // Follows samples/ConsoleApp/Program.cs ("HelloSequence" and "SayHello", AddOrchestratorFunc/AddActivityFunc).
        await using var hub = await TestHub.StartAsync(store, tasks =>
        {
            tasks.AddOrchestratorFunc("HelloSequence", async context =>
            {
                var greetings = new List<string>
                {
                    await context.CallActivityAsync<string>("SayHello", "Tokyo"),
                    await context.CallActivityAsync<string>("SayHello", "London"),
                    await context.CallActivityAsync<string>("SayHello", "Seattle"),
                };

                return greetings;
            });

            tasks.AddActivityFunc<string, string>("SayHello", (context, city) => $"Hello {city}!");
        });

        // Act: as the sample's client code does.
        var instanceId = await hub.Client.ScheduleNewOrchestrationInstanceAsync("HelloSequence");
        using var cts = new CancellationTokenSource(TestHub.DefaultTimeout);
        var instance = await hub.Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, instance.RuntimeStatus);
        Assert.Equal(["Hello Tokyo!", "Hello London!", "Hello Seattle!"], instance.ReadOutputAs<List<string>>());
    }

    [Theory]
    [Stores]
    public async Task FunctionChaining_ClassBasedHelloCities_ReturnsGreetingsFromTheInjectedActivity(StoreKind store)
    {
        // Follows samples/AzureFunctionsApp/HelloCitiesTyped.cs: a TaskOrchestrator<string?, string> and a
        // TaskActivity<string, string> with a constructor-injected logger. The sample calls the source-generated
        // CallSayHelloTypedAsync, which is CallActivityAsync<string>(nameof(SayHelloTyped), input); we call that directly.
        await using var hub = await TestHub.StartAsync(store, tasks => tasks.AddOrchestrator<HelloCitiesTyped>().AddActivity<SayHelloTyped>());

        // Act
        var instanceId = await hub.Client.ScheduleNewOrchestrationInstanceAsync(nameof(HelloCitiesTyped));
        var instance = await hub.WaitForCompletionAsync(instanceId);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, instance.RuntimeStatus);
        Assert.Equal("Hello, Tokyo! Hello, London! Hello, Seattle!", instance.ReadOutputAs<string>());
    }

    [Theory]
    [Stores]
    public async Task FanOutFanIn_WeatherForFiveCities_SummaryAggregatesEveryParallelResult(StoreKind store)
    {
        // Follows samples/DistributedTracingSample/Program.cs ("FanOutFanIn", "GetWeather", "CreateSummary").
        await using var hub = await TestHub.StartAsync(store, tasks =>
        {
            tasks.AddOrchestratorFunc("FanOutFanIn", async context =>
            {
                // Fan-out: schedule multiple activity calls in parallel.
                string[] cities = ["Tokyo", "London", "Seattle", "Paris", "Sydney"];
                List<Task<string>> parallelTasks = new();
                foreach (string city in cities)
                {
                    parallelTasks.Add(context.CallActivityAsync<string>("GetWeather", city));
                }

                // Fan-in: wait for all activities to complete.
                string[] results = await Task.WhenAll(parallelTasks);

                // Aggregate results in a final activity.
                string summary = await context.CallActivityAsync<string>("CreateSummary", results);
                return summary;
            });

            tasks.AddActivityFunc<string, string>("GetWeather", (context, city) => Weather(city));

            tasks.AddActivityFunc<string[], string>("CreateSummary", (context, forecasts) =>
            {
                return $"Weather report for {forecasts.Length} cities:\n" + string.Join("\n", forecasts);
            });
        });

        // Act
        var instanceId = await hub.Client.ScheduleNewOrchestrationInstanceAsync("FanOutFanIn");
        var instance = await hub.WaitForCompletionAsync(instanceId);

        // Assert: the sample's weather is a hash of the city name (stable within this process), so the expected report
        // is computed with the same function.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, instance.RuntimeStatus);
        var expected = "Weather report for 5 cities:\n" + string.Join("\n", new[] { "Tokyo", "London", "Seattle", "Paris", "Sydney" }.Select(Weather));
        Assert.Equal(expected, instance.ReadOutputAs<string>());
        var history = await hub.GetHistoryAsync(instanceId);
        Assert.Equal(6, history.Count(e => e.EventType == EventType.TaskScheduled));
    }

    [Theory]
    [Stores(true)]
    [Stores(false)]
    public async Task HumanInteraction_ApprovalOrTimeout_ProcessesTheApprovalOrEscalates(StoreKind store, bool approve)
    {
        // Follows the human interaction pattern of Microsoft Learn's Durable Functions overview (.NET isolated): a durable
        // timer raced against WaitForExternalEvent<bool>("ApprovalEvent") with Task.WhenAny, the timer cancelled when the
        // approval wins, and "Escalate" when the timer wins. The sample waits 72 hours; here the deadline is the input, and
        // the sample's CallActivityAsync(name, null) is CallActivityAsync(name) (the same call, without the nullable warning).
        var processed = new List<bool>();
        var escalations = new CallCounter();
        await using var hub = await TestHub.StartAsync(store, tasks =>
        {
            tasks.AddOrchestratorFunc<int, string>("ApprovalWorkflow", async (context, timeoutSeconds) =>
            {
                await context.CallActivityAsync("RequestApproval");
                using (var timeoutCts = new CancellationTokenSource())
                {
                    DateTime dueTime = context.CurrentUtcDateTime.AddSeconds(timeoutSeconds);
                    Task durableTimeout = context.CreateTimer(dueTime, timeoutCts.Token);

                    Task<bool> approvalEvent = context.WaitForExternalEvent<bool>("ApprovalEvent");
                    if (approvalEvent == await Task.WhenAny(approvalEvent, durableTimeout))
                    {
                        timeoutCts.Cancel();
                        await context.CallActivityAsync("ProcessApproval", approvalEvent.Result);
                        return "processed";
                    }
                    else
                    {
                        await context.CallActivityAsync("Escalate");
                        return "escalated";
                    }
                }
            });

            tasks.AddActivityFunc<object?, string>("RequestApproval", (context, _) => "requested");
            tasks.AddActivityFunc<bool, string>("ProcessApproval", (context, approved) =>
            {
                lock (processed)
                {
                    processed.Add(approved);
                }

                return "processed";
            });
            tasks.AddActivityFunc<object?, string>("Escalate", (context, _) =>
            {
                escalations.Increment();
                return "escalated";
            });
        });

        // Act: approve within a deadline far away, or let a one-second deadline pass without an event.
        var instanceId = await hub.Client.ScheduleNewOrchestrationInstanceAsync("ApprovalWorkflow", approve ? 3600 : 1);
        if (approve)
        {
            await hub.WaitForHistoryAsync(instanceId, h => h.Any(e => e.EventType == EventType.TimerCreated));
            await hub.Client.RaiseEventAsync(instanceId, "ApprovalEvent", true);
        }

        var instance = await hub.WaitForCompletionAsync(instanceId);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, instance.RuntimeStatus);
        Assert.Equal(approve ? "processed" : "escalated", instance.ReadOutputAs<string>());
        Assert.Equal(approve ? [true] : [], processed);
        Assert.Equal(approve ? 0 : 1, escalations.Value);
    }

    [Theory]
    [Stores]
    public async Task EntityCounter_SignalsAndOrchestrationCall_StateAndResultAreTheCountersValue(StoreKind store)
    {
        // Follows samples/AzureFunctionsApp/Entities/Counter.cs: Counter : TaskEntity<int> with a constructor-injected
        // logger, signalled through client.Entities ("add", "reset") and called from "CounterOrchestration" with
        // context.Entities.CallEntityAsync<int>(input.Id, "add", input.Add). The class is SampleCounter here (the test
        // assembly has a Counter already), registered under the sample's entity name "Counter".
        await using var hub = await TestHub.StartAsync(store, tasks =>
        {
            tasks.AddEntity<SampleCounter>("Counter");
            tasks.AddOrchestratorFunc<CounterPayload, int>("CounterOrchestration", async (context, input) =>
            {
                ILogger logger = context.CreateReplaySafeLogger<SampleCounter>();
                int result = await context.Entities.CallEntityAsync<int>(input.Id, "add", input.Add);
                logger.LogInformation("Counter value: {Value}", result);
                return result;
            });
        });
        var entityId = new EntityInstanceId("counter", "sample");

        // Act: add 5, reset, add 3 from the client; then add 4 from the orchestration.
        await hub.Client.Entities.SignalEntityAsync(entityId, "add", 5);
        await hub.Client.Entities.SignalEntityAsync(entityId, "reset");
        await hub.Client.Entities.SignalEntityAsync(entityId, "add", 3);
        await hub.WaitForEntityAsync(entityId, e => e is not null && e.State.ReadAs<int>() == 3);
        var instanceId = await hub.Client.ScheduleNewOrchestrationInstanceAsync("CounterOrchestration", new CounterPayload(entityId, 4));
        var instance = await hub.WaitForCompletionAsync(instanceId);

        // Assert
        Assert.Equal(OrchestrationRuntimeStatus.Completed, instance.RuntimeStatus);
        Assert.Equal(7, instance.ReadOutputAs<int>());
        var entity = await hub.Client.Entities.GetEntityAsync(entityId);
        Assert.Equal(7, entity!.State.ReadAs<int>());
    }

    [Theory]
    [Stores]
    public async Task SubOrchestrationWithRetries_FlakyChildren_ParentSumsAfterRetries(StoreKind store)
    {
        // Follows samples/AzureFunctionsApp/Fib.cs (an orchestration that fans out to sub-orchestrations of itself and ends
        // in an activity) with the retry options of Microsoft Learn's error-handling page
        // (TaskOptions.FromRetryPolicy(new RetryPolicy(maxNumberOfAttempts: 3, firstRetryInterval: ...))). The sample's
        // first retry comes after 5 s; here after 100 ms. The first leaf activity for 0 and the first for 1 fail, so
        // the two sub-orchestrations that ran them fail and their parents retry them.
        var failedOnce = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
        await using var hub = await TestHub.StartAsync(store, tasks =>
        {
            tasks.AddOrchestratorFunc<int, int>("FibOrchestration", async (context, input) =>
            {
                TaskOptions retryOptions = TaskOptions.FromRetryPolicy(new RetryPolicy(
                    maxNumberOfAttempts: 3,
                    firstRetryInterval: TimeSpan.FromMilliseconds(100)));
                switch (input)
                {
                    case 0 or 1:
                        return await context.CallActivityAsync<int>("FibActivity", input);
                    default:
                        Task<int> left = context.CallSubOrchestratorAsync<int>("FibOrchestration", input - 1, retryOptions);
                        Task<int> right = context.CallSubOrchestratorAsync<int>("FibOrchestration", input - 2, retryOptions);
                        return (await left) + (await right);
                }
            });

            tasks.AddActivityFunc<int, int>("FibActivity", (context, input) =>
                failedOnce.TryAdd(input, true) ? throw new InvalidOperationException($"leaf {input} is flaky") : input);
        });

        // Act
        var instanceId = await hub.Client.ScheduleNewOrchestrationInstanceAsync("FibOrchestration", 5);
        var instance = await hub.WaitForCompletionAsync(instanceId, TimeSpan.FromSeconds(60));

        // Assert: fib(5) = 5, from 15 instances (the root and 14 sub-orchestrations). The SDK retries a sub-orchestration
        // under the same instance id, so each failed leaf was started again in place: its parent's history shows the
        // failure and the same child created twice, and no failed instance is left.
        Assert.True(instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{instance.RuntimeStatus}: {instance.FailureDetails?.ErrorMessage}");
        Assert.Equal(5, instance.ReadOutputAs<int>());
        Assert.Equal(2, failedOnce.Count);
        var all = new List<OrchestrationMetadata>();
        await foreach (var m in hub.Client.GetAllInstancesAsync(new OrchestrationQuery { FetchInputsAndOutputs = true }))
        {
            all.Add(m);
        }

        Assert.Equal(15, all.Count);
        Assert.All(all, m => Assert.Equal(OrchestrationRuntimeStatus.Completed, m.RuntimeStatus));
        var failures = new List<SubOrchestrationInstanceFailedEvent>();
        var recreated = new List<string>();
        foreach (var m in all)
        {
            var history = await hub.GetHistoryAsync(m.InstanceId);
            failures.AddRange(history.OfType<SubOrchestrationInstanceFailedEvent>());
            recreated.AddRange(history.OfType<SubOrchestrationInstanceCreatedEvent>().GroupBy(e => e.InstanceId).Where(g => g.Count() == 2).Select(g => g.Key));
        }

        Assert.Equal(2, failures.Count);
        Assert.All(failures, f => Assert.Contains("is flaky", f.FailureDetails!.InnerFailure!.ErrorMessage, StringComparison.Ordinal));
        Assert.Equal(2, recreated.Count);
    }

    // samples/DistributedTracingSample/Program.cs, "GetWeather".
    private static string Weather(string city)
    {
        // Simulate fetching weather data for a city.
        // Use uint cast to avoid negative modulo results (Math.Abs(int.MinValue) overflows).
        string[] conditions = ["Sunny", "Cloudy", "Rainy", "Snowy", "Windy"];
        uint hash = (uint)city.GetHashCode();
        string condition = conditions[hash % conditions.Length];
        int temperature = 15 + (int)(hash % 20);
        return $"{city}: {condition}, {temperature}°C";
    }

    /// <summary>The sample's <c>Payload</c> record of "CounterOrchestration".</summary>
    public sealed record CounterPayload(EntityInstanceId Id, int Add);

    /// <summary>samples/AzureFunctionsApp/Entities/Counter.cs, as written there.</summary>
    public sealed class SampleCounter : TaskEntity<int>
    {
        private readonly ILogger _logger;

        public SampleCounter(ILogger<SampleCounter> logger)
        {
            _logger = logger;
        }

        public int Add(int input)
        {
            _logger.LogInformation("Adding {Input} to {State}", input, State);
            return State += input;
        }

        public int Get() => State;

        public void Reset() => State = 0;
    }

    /// <summary>samples/AzureFunctionsApp/HelloCitiesTyped.cs, "HelloCitiesTyped".</summary>
    public sealed class HelloCitiesTyped : TaskOrchestrator<string?, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, string? input)
        {
            string result = "";
            result += await context.CallActivityAsync<string>(nameof(SayHelloTyped), "Tokyo") + " ";
            result += await context.CallActivityAsync<string>(nameof(SayHelloTyped), "London") + " ";
            result += await context.CallActivityAsync<string>(nameof(SayHelloTyped), "Seattle");
            return result;
        }
    }

    /// <summary>samples/AzureFunctionsApp/HelloCitiesTyped.cs, "SayHelloTyped".</summary>
    public sealed class SayHelloTyped : TaskActivity<string, string>
    {
        private readonly ILogger _logger;

        public SayHelloTyped(ILogger<SayHelloTyped> logger)
        {
            _logger = logger;
        }

        public override Task<string> RunAsync(TaskActivityContext context, string cityName)
        {
            _logger.LogInformation("Saying hello to {name}", cityName);
            return Task.FromResult($"Hello, {cityName}!");
        }
    }
}
