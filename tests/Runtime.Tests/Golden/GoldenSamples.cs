using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;

namespace Serverless.Runtime.Tests.Golden;

/// <summary>
/// The sample orchestrations behind the golden histories. Changing a <c>Current</c> orchestrator so that it no longer
/// replays its fixture is exactly the kind of change that breaks running instances in production.
/// </summary>
internal static class GoldenSamples
{
    public static IReadOnlyList<GoldenSample> All { get; } =
    [
        new("sequence", "GoldenSequence", () => new Sequence("SayHello"), () => new Sequence("SayGoodbye"), new[] { "Tokyo", "Seattle", "London" }),
        new("fan-out", "GoldenFanOut", () => new FanOut(0), () => new FanOut(1), 5),
        new("timer-event", "GoldenTimerThenApproval", () => new TimerThenApproval(timerFirst: true), () => new TimerThenApproval(timerFirst: false), "expense-42", DriveTimerEventAsync),
        new("entity-call", "GoldenEntityCall", () => new EntityCall("Add"), () => new EntityCall("Add", activityFirst: true), "golden"),
    ];

    public static GoldenSample Get(string name) => All.Single(s => s.Name == name);

    /// <summary>Registers every sample with the activities and entities they use.</summary>
    public static void Register(DurableTaskRegistry r)
    {
        r.AddActivityFunc<string, string>("SayHello", (_, name) => $"Hello {name}!")
            .AddActivityFunc<string, string>("SayGoodbye", (_, name) => $"Goodbye {name}!")
            .AddActivityFunc<int, int>("Square", (_, x) => x * x)
            .AddEntity<Counter>();
        foreach (var sample in All)
        {
            r.AddOrchestrator(sample.OrchestratorName, sample.Current);
        }
    }

    private static async Task DriveTimerEventAsync(TestHub hub, string instanceId)
    {
        await hub.WaitForInstanceAsync(instanceId, m => m?.ReadCustomStatusAs<string>() == "awaiting approval");
        await hub.Client.RaiseEventAsync(instanceId, "Approval", "approved by alice");
    }

    /// <summary>Greets each city in turn.</summary>
    private sealed class Sequence(string activity) : TaskOrchestrator<string[], List<string>>
    {
        public override async Task<List<string>> RunAsync(TaskOrchestrationContext context, string[] input)
        {
            var greetings = new List<string>();
            foreach (var city in input)
            {
                greetings.Add(await context.CallActivityAsync<string>(activity, city));
            }

            return greetings;
        }
    }

    /// <summary>Squares 1..n in parallel and sums the squares; <c>skip</c> leaves out the last branches.</summary>
    private sealed class FanOut(int skip) : TaskOrchestrator<int, int>
    {
        public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
        {
            var squares = await Task.WhenAll(Enumerable.Range(1, input - skip).Select(i => context.CallActivityAsync<int>("Square", i)));
            return squares.Sum();
        }
    }

    /// <summary>Waits a short durable timer, then for an approval event, then greets the approver.</summary>
    private sealed class TimerThenApproval(bool timerFirst) : TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
        {
            if (timerFirst)
            {
                await context.CreateTimer(context.CurrentUtcDateTime.AddMilliseconds(50), CancellationToken.None);
            }

            context.SetCustomStatus("awaiting approval");
            var approval = await context.WaitForExternalEvent<string>("Approval");
            var greeting = await context.CallActivityAsync<string>("SayHello", approval);
            return $"{input}: {greeting}";
        }
    }

    /// <summary>
    /// Calls a counter entity, signals it, and reads it back. The changed version calls an activity first; a changed
    /// operation name alone is not a change DTFx's replay detects (see <see cref="GoldenHistoryTests"/>).
    /// </summary>
    internal sealed class EntityCall(string firstOperation, bool activityFirst = false) : TaskOrchestrator<string, int>
    {
        public override async Task<int> RunAsync(TaskOrchestrationContext context, string input)
        {
            var counter = new EntityInstanceId(nameof(Counter), input);
            if (activityFirst)
            {
                await context.CallActivityAsync<string>("SayHello", input);
            }

            await context.Entities.CallEntityAsync(counter, firstOperation, 5);
            await context.Entities.SignalEntityAsync(counter, "Add", 1);
            return await context.Entities.CallEntityAsync<int>(counter, "Get");
        }
    }
}
