using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Serverless.DurableTask.Worker;

namespace Serverless.CrashWorker;

/// <summary>The crash test's mixed workload: chains, fan-out/fan-in, timers, external events, sub-orchestrations and entities.</summary>
public static class Workload
{
    public const int Counters = 10;

    public static string ExecutionLog { get; set; } = "activity-executions.log";

    public static string InstanceId(int i) => $"mixed-{i:D4}";

    /// <summary>The output every instance must end with.</summary>
    public static long ExpectedOutput(int i) => ((i + 3) * 2) + (1 + 4 + 9 + 16 + 25) + i + 1;

    public static void Register(DurableTaskRegistry r) => r
        .AddActivityFunc<int[], int>("Add", (ctx, a) => Record(ctx, a[0] + a[1]))
        .AddActivityFunc<int, int>("Double", (ctx, x) => Record(ctx, x * 2))
        .AddActivityFunc<int, int>("Square", (ctx, x) => Record(ctx, x * x))
        .AddOrchestratorFunc<int, long>(nameof(Mixed), Mixed)
        .AddOrchestratorFunc<int, int>(nameof(Pinger), Pinger)
        .AddEntity<Counter>()
        .AddEntity<Ledger>();

    public static async Task<long> Mixed(TaskOrchestrationContext ctx, int i)
    {
        // A chain.
        var a = await ctx.CallActivityAsync<int>("Add", new[] { i, 1 });
        a = await ctx.CallActivityAsync<int>("Add", new[] { a, 2 });
        a = await ctx.CallActivityAsync<int>("Double", a);

        // Fan-out / fan-in.
        var squares = await Task.WhenAll(Enumerable.Range(1, 5).Select(k => ctx.CallActivityAsync<int>("Square", k)));

        // A durable timer.
        await ctx.CreateTimer(TimeSpan.FromMilliseconds(1000 + (i % 7 * 500)), CancellationToken.None);

        // An external event, sent by a sub-orchestration.
        var ping = ctx.WaitForExternalEvent<int>("Ping");
        await ctx.CallSubOrchestratorAsync<int>(nameof(Pinger), i);
        var pinged = await ping;

        // Entities: a shared counter (called) and a per-instance ledger (signalled).
        await ctx.Entities.CallEntityAsync<int>(new EntityInstanceId(nameof(Counter), $"shared-{i % Counters}"), "Add", 1);
        await ctx.Entities.SignalEntityAsync(new EntityInstanceId(nameof(Ledger), ctx.InstanceId), "Record", i);

        return a + squares.Sum() + pinged + 1;
    }

    public static async Task<int> Pinger(TaskOrchestrationContext ctx, int i)
    {
        await ctx.CreateTimer(TimeSpan.FromMilliseconds(50), CancellationToken.None);
        ctx.SendEvent(ctx.Parent!.InstanceId, "Ping", i);
        return i;
    }

    private static readonly Lock LogLock = new();

    /// <summary>Appends the activity's idempotency key to the execution log (re-executions show as repeated keys).</summary>
    public static int Record(TaskActivityContext ctx, int result)
    {
        // FileMode.Append writes at the position it saw as the end, so concurrent appends must be serialized.
        lock (LogLock)
        {
            File.AppendAllText(ExecutionLog, ((StoreTaskActivityContext)ctx).IdempotencyKey + "\n");
        }

        return result;
    }

    public sealed class Counter : TaskEntity<int>
    {
        public int Add(int amount) => State += amount;

        public int Get() => State;
    }

    public sealed class Ledger : TaskEntity<List<int>>
    {
        public void Record(int value) => State.Add(value);
    }
}
