using CompanyHub.Orchestrations.Notifications;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Options;

namespace CompanyHub.Entities;

/// <summary>A proposal the notifier reminds of while it waits; <see cref="NextReminderAt"/> is null when no reminder is left before its expiry.</summary>
public sealed record WaitingProposal(NotificationItem Item, DateTimeOffset? NextReminderAt);

/// <summary>The state of <see cref="NotifierEntity"/>.</summary>
public sealed class NotifierState
{
    /// <summary>Gets or sets the proposals that wait for a decision, by id (decided ones are forgotten when a batch finds them decided).</summary>
    public Dictionary<string, WaitingProposal> Waiting { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets what the open batch will say.</summary>
    public List<NotificationItem> Pending { get; set; } = [];

    /// <summary>Gets or sets when the open batch is sent; null when no batch is open.</summary>
    public DateTimeOffset? FlushAt { get; set; }

    /// <summary>Gets or sets how many batches were sent: the next one's number (its orchestration's instance id and idempotency key).</summary>
    public long Batches { get; set; }
}

/// <summary>
/// Entity <c>notifier@&lt;agent id&gt;</c>: collects what to tell an agent's person about their proposals — "waiting"
/// (from the approval flow), daily reminders (on its own scheduled signals) and "expired" — and sends what arrived
/// within one batch window (<see cref="NotificationOptions.BatchWindow"/>) as one notification: at the window's end it
/// starts <see cref="NotificationOrchestration"/> under the batch's number, in the same operation that empties the
/// batch, so a batch is sent by exactly one orchestration.
/// </summary>
public sealed class NotifierEntity(IOptions<NotificationOptions> options) : TaskEntity<NotifierState>
{
    public const string Name = "notifier";

    public static EntityInstanceId Id(string agentId) => new(Name, agentId);

    public NotifierState Get() => State;

    /// <summary>A proposal started waiting: its person is told in the next batch and reminded every interval until it expires.</summary>
    public void Waiting(ProposalNotice notice)
    {
        if (State.Waiting.ContainsKey(notice.ProposalId))
        {
            return;
        }

        var item = new NotificationItem(notice.ProposalId, NotificationKinds.Waiting, notice.Type, notice.Title, notice.ExpiresAt);
        State.Waiting[notice.ProposalId] = new WaitingProposal(item, ScheduleReminder(notice.ProposalId, Now(), notice.ExpiresAt));
        Enqueue(item);
    }

    /// <summary>A reminder is due (a scheduled signal of this entity, named by its due time so that a stale one does nothing).</summary>
    public void Remind(ReminderDue due)
    {
        if (!State.Waiting.TryGetValue(due.ProposalId, out var waiting) || waiting.NextReminderAt != due.At)
        {
            return;
        }

        State.Waiting[due.ProposalId] = waiting with { NextReminderAt = ScheduleReminder(due.ProposalId, due.At, waiting.Item.ExpiresAt) };
        Enqueue(waiting.Item with { Kind = NotificationKinds.Reminder });
    }

    /// <summary>A proposal expired without a decision: the final notice replaces whatever the open batch said of it.</summary>
    public void Expired(ProposalNotice notice)
    {
        State.Waiting.Remove(notice.ProposalId);
        State.Pending.RemoveAll(i => i.ProposalId == notice.ProposalId);
        Enqueue(new NotificationItem(notice.ProposalId, NotificationKinds.Expired, notice.Type, notice.Title, notice.ExpiresAt));
    }

    /// <summary>Proposals a batch found decided: no more reminders of them.</summary>
    public void Forget(List<string> proposalIds)
    {
        foreach (var id in proposalIds)
        {
            State.Waiting.Remove(id);
            State.Pending.RemoveAll(i => i.ProposalId == id && i.Kind != NotificationKinds.Expired);
        }
    }

    /// <summary>The batch window ended: the batch goes to its own orchestration (instance <c>notify-&lt;agent&gt;-&lt;n&gt;</c>).</summary>
    public void Flush()
    {
        State.FlushAt = null;
        if (State.Pending.Count == 0)
        {
            return;
        }

        var number = ++State.Batches;
        var agentId = Context.Id.Key;
        Context.ScheduleNewOrchestration(nameof(NotificationOrchestration), new NotificationBatch(agentId, number, [.. State.Pending]),
            new StartOrchestrationOptions(NotificationOrchestration.InstanceId(agentId, number)));
        State.Pending = [];
    }

    private void Enqueue(NotificationItem item)
    {
        State.Pending.Add(item);
        if (State.FlushAt is not null)
        {
            return;
        }

        var window = options.Value.BatchWindow;
        State.FlushAt = Now() + window;
        Context.SignalEntity(Context.Id, nameof(Flush), null, window > TimeSpan.Zero ? new SignalEntityOptions { SignalTime = State.FlushAt } : null);
    }

    /// <summary>Schedules the reminder one interval after <paramref name="from"/> when that is before the expiry; returns its due time, or null.</summary>
    private DateTimeOffset? ScheduleReminder(string proposalId, DateTimeOffset from, DateTimeOffset expiresAt)
    {
        var at = from + options.Value.ReminderInterval;
        if (at >= expiresAt)
        {
            return null;
        }

        Context.SignalEntity(Context.Id, nameof(Remind), new ReminderDue(proposalId, at), new SignalEntityOptions { SignalTime = at });
        return at;
    }

    private static DateTimeOffset Now() => DateTimeOffset.UtcNow;
}

/// <summary>The input of <see cref="NotifierEntity.Remind"/>: which proposal, and the due time the reminder was scheduled for.</summary>
public sealed record ReminderDue(string ProposalId, DateTimeOffset At);
