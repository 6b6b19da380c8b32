using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;

namespace Serverless.CrashWorker;

/// <summary>
/// The scale-out test's workload, run by several hosts on one PostgreSQL schema. Four kinds of instance, by
/// <c>i % 4</c>: an onboarding-style wait for a sign-in event with a timeout (every other one signs in, the rest
/// expire), an approval-style wait for a decision, a fan-out of slow activities, and the crash test's mixed workload.
/// Each instance signals a shared counter and its own ledger entity, so lost or doubled operations show.
/// </summary>
public static class ScaleOut
{
    /// <summary>The lease duration of the scale-out hosts: short, so a dead host's work comes back quickly.</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);

    /// <summary>How long the fan-out's activity takes: slow enough that a host holds activity leases when it dies.</summary>
    public static readonly TimeSpan FetchDelay = TimeSpan.FromMilliseconds(400);

    public const int FanOut = 8;

    public static string InstanceId(int i) => $"scale-{i:D4}";

    /// <summary>The PostgreSQL application name of host <paramref name="index"/> (how the test finds its liveness lock).</summary>
    public static string ApplicationName(int index) => $"scale-host-{index}";

    /// <summary>Onboarding instances (<c>i % 4 == 0</c>): every other one gets its sign-in event; the rest time out.</summary>
    public static bool SignsIn(int i) => i % 8 == 0;

    /// <summary>Approval instances (<c>i % 4 == 1</c>): every other one is approved.</summary>
    public static bool Approved(int i) => i % 8 == 1;

    /// <summary>The event the front door raises for instance <paramref name="i"/>, if any.</summary>
    public static (string Name, object Value)? EventFor(int i) => (i % 4) switch
    {
        0 when SignsIn(i) => ("SignedIn", i),
        1 => ("Decision", Approved(i)),
        _ => null,
    };

    /// <summary>The output every instance must end with.</summary>
    public static long ExpectedOutput(int i) => (i % 4) switch
    {
        0 => SignsIn(i) ? i + 1000 : -1,
        1 => Approved(i) ? i * 2 : 0,
        2 => (FanOut * (long)i) + (FanOut * (FanOut + 1) / 2),
        _ => Workload.ExpectedOutput(i),
    };

    /// <summary>What instance <paramref name="i"/> adds to its shared counter (<c>shared-{i % 10}</c>).</summary>
    public static int CounterContribution(int i) => i % 4 == 3 ? 1 : i + 1;

    /// <summary>How many distinct activities instance <paramref name="i"/> runs.</summary>
    public static int Activities(int i) => (i % 4) switch
    {
        0 => SignsIn(i) ? 2 : 1,
        1 => Approved(i) ? 2 : 1,
        2 => FanOut,
        _ => 8,
    };

    public static void Register(DurableTaskRegistry r) => r
        .AddActivityFunc<int, int>("Fetch", async (ctx, x) =>
        {
            Workload.Record(ctx, 0);
            await Task.Delay(FetchDelay);
            return x;
        })
        .AddOrchestratorFunc<int, long>(nameof(ScaleOut), Run);

    public static async Task<long> Run(TaskOrchestrationContext ctx, int i)
    {
        long result;
        switch (i % 4)
        {
            case 0:
                // Onboarding: the person signs in within the timeout, or the invitation expires.
                await ctx.CallActivityAsync<int>("Fetch", i);
                ctx.SetCustomStatus("waiting");
                try
                {
                    var code = await ctx.WaitForExternalEvent<int>("SignedIn", SignsIn(i) ? TimeSpan.FromMinutes(2) : TimeSpan.FromSeconds(1.5));
                    result = await ctx.CallActivityAsync<int>("Add", new[] { code, 1000 });
                }
                catch (TaskCanceledException)
                {
                    // The SDK's timed WaitForExternalEvent cancels when the timeout fires (ours threw TimeoutException).
                    result = -1;
                }

                break;
            case 1:
                // Approval: a proposal waits for a person's decision, then runs (or not).
                var proposal = await ctx.CallActivityAsync<int>("Fetch", i);
                ctx.SetCustomStatus("waiting");
                result = await ctx.WaitForExternalEvent<bool>("Decision") ? await ctx.CallActivityAsync<int>("Double", proposal) : 0;
                break;
            case 2:
                result = (await Task.WhenAll(Enumerable.Range(1, FanOut).Select(k => ctx.CallActivityAsync<int>("Fetch", i + k)))).Sum();
                break;
            default:
                // The crash test's workload: chain, fan-out, timer, sub-orchestration event, entity call, ledger signal.
                return await Workload.Mixed(ctx, i);
        }

        await ctx.Entities.SignalEntityAsync(new EntityInstanceId(nameof(Workload.Counter), $"shared-{i % Workload.Counters}"), "Add", CounterContribution(i));
        await ctx.Entities.SignalEntityAsync(new EntityInstanceId(nameof(Workload.Ledger), ctx.InstanceId), "Record", i);
        return result;
    }

    /// <summary>
    /// The front door (what the HTTP API does behind a load balancer): raises each sign-in and decision event once
    /// its instance waits for it, until all are sent.
    /// </summary>
    public static async Task RaiseEventsAsync(DurableTaskClient client, int count, CancellationToken cancellationToken)
    {
        var pending = Enumerable.Range(0, count).Where(i => EventFor(i) is not null).ToList();
        while (pending.Count > 0)
        {
            foreach (var i in pending.ToList())
            {
                var instance = await client.GetInstanceAsync(InstanceId(i), cancellation: cancellationToken);
                if (instance?.SerializedCustomStatus is not null)
                {
                    var (name, value) = EventFor(i)!.Value;
                    await client.RaiseEventAsync(InstanceId(i), name, value, cancellationToken);
                    pending.Remove(i);
                }
            }

            await Task.Delay(100, cancellationToken);
        }
    }
}
