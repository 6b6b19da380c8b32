using Serverless.DurableTask.Engine;

namespace Serverless.DurableTask.Client;

/// <summary>Queue depths of the store, for health pages.</summary>
/// <param name="PendingMessages">Messages waiting for orchestrations and entities (including future timers).</param>
/// <param name="PendingActivities">Activities waiting or running.</param>
/// <param name="LockedInstances">Instances whose step is running now.</param>
/// <param name="DeadLetters">Work moved aside after too many failed deliveries.</param>
/// <param name="Instances">Orchestration instances in the store.</param>
/// <param name="TimersPending">Messages not due yet: durable timers and scheduled entity signals.</param>
/// <param name="OldestWaitingSince">When the longest-waiting due message (or, on PostgreSQL, activity) became due; null when nothing waits.</param>
public sealed record StoreHealth(int PendingMessages, int PendingActivities, int LockedInstances, int DeadLetters, int Instances, int TimersPending = 0, DateTimeOffset? OldestWaitingSince = null);

/// <summary>Work that kept failing and was moved aside, with why.</summary>
public sealed record DeadLetteredWork(long Id, string Kind, string InstanceId, string Reason, int DequeueCount, DateTimeOffset DeadLetteredAt);

/// <summary>Read-only diagnostics of the durable store (an addition of this runtime; not in Microsoft's SDK).</summary>
public sealed class DurableStoreDiagnostics : Serverless.Functions.Hosting.IDurableStoreDiagnostics
{
    private readonly IOrchestrationStore _store;

    internal DurableStoreDiagnostics(IOrchestrationStore store)
    {
        _store = store;
    }

    /// <summary>Gets the store's queue depths and counts.</summary>
    public async Task<StoreHealth> GetHealthAsync(CancellationToken cancellationToken = default)
    {
        var s = await _store.GetStatisticsAsync(cancellationToken).ConfigureAwait(false);
        return new StoreHealth(s.PendingMessages, s.PendingActivities, s.LockedInstances, s.DeadLetters, s.Instances, s.DueLater,
            s.OldestWaitingSince is { } since ? new DateTimeOffset(DateTime.SpecifyKind(since, DateTimeKind.Utc), TimeSpan.Zero) : null);
    }

    /// <summary>Gets the newest dead-lettered work items (payloads are not returned: they may carry personal data).</summary>
    public async Task<IReadOnlyList<DeadLetteredWork>> GetDeadLettersAsync(int top = 50, CancellationToken cancellationToken = default) =>
        (await _store.GetDeadLettersAsync(top, cancellationToken).ConfigureAwait(false))
            .Select(d => new DeadLetteredWork(d.Id, d.Kind, d.InstanceId, d.Reason, d.DequeueCount, new DateTimeOffset(d.DeadLetteredAt, TimeSpan.Zero)))
            .ToList();

    /// <summary>Whether the store answers with its schema current.</summary>
    public Task<bool> IsReadyAsync(CancellationToken cancellationToken = default) => _store.IsReadyAsync(cancellationToken);
}
