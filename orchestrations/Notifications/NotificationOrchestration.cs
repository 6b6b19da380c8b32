using CompanyHub.Activities;
using CompanyHub.Entities;
using CompanyHub.Orchestrations.Approvals;
using Microsoft.DurableTask;

namespace CompanyHub.Orchestrations.Notifications;

/// <summary>
/// Sends one batch of <see cref="NotifierEntity"/> (instance <c>notify-&lt;agent&gt;-&lt;n&gt;</c>): drops what no
/// longer holds (a proposal decided meanwhile, a reminder the person turned off), then sends through every channel the
/// person left on and that can reach them (the others are audited as skipped, with the reason) — each send a durable activity, retried on transient failures, sent once per
/// channel and batch (the idempotency key is <c>&lt;instance&gt;:&lt;channel&gt;</c>) — and audits each outcome.
/// </summary>
public sealed class NotificationOrchestration : TaskOrchestrator<NotificationBatch, int>
{
    /// <summary>Transient failures (a 5xx, a rate limit, the network) are tried again on durable timers: 5 attempts over about 75 seconds.</summary>
    public static readonly TaskOptions SendRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(5), 2.0)
    {
        HandleFailure = f => f.IsCausedBy<NotificationTransientException>(),
    });

    public static string InstanceId(string agentId, long number) => $"notify-{agentId}-{number}";

    public override async Task<int> RunAsync(TaskOrchestrationContext context, NotificationBatch input)
    {
        var agent = await context.Entities.CallEntityAsync<AgentState?>(AgentEntity.Id(input.AgentId), nameof(AgentEntity.Get));
        if (agent is not { Status: AgentStatus.Active })
        {
            return 0;
        }

        // What the dashboard shows now: a proposal decided since it was queued is not announced, and not reminded of again.
        var current = agent.Proposals.ToDictionary(p => p.ProposalId, StringComparer.Ordinal);
        var decided = input.Items.Where(i => i.Kind != NotificationKinds.Expired && current.TryGetValue(i.ProposalId, out var p) && p.Status != ProposalStatus.Pending)
            .Select(i => i.ProposalId).Distinct(StringComparer.Ordinal).ToList();
        if (decided.Count > 0)
        {
            await context.Entities.SignalEntityAsync(NotifierEntity.Id(input.AgentId), nameof(NotifierEntity.Forget), decided);
        }

        var settings = agent.Notifications;
        var items = input.Items
            .Where(i => !decided.Contains(i.ProposalId) && (i.Kind != NotificationKinds.Reminder || settings.Reminders))
            .Select(i => current.TryGetValue(i.ProposalId, out var p) ? i with { Title = p.Title } : i)
            .ToList();
        if (items.Count == 0)
        {
            return 0;
        }

        var what = Describe(items);
        var sent = 0;
        foreach (var channel in await context.CallActivityAsync<List<ChannelPlan>>(PlanNotification.Name, input.AgentId))
        {
            NotificationOutcome outcome;
            if (!channel.On)
            {
                outcome = new NotificationOutcome(false, "off in the person's settings");
            }
            else if (channel.WhyUnavailable is { } why)
            {
                outcome = new NotificationOutcome(false, why);
            }
            else
            {
                try
                {
                    outcome = await context.CallActivityAsync<NotificationOutcome>(SendNotification.Name,
                        new NotificationSend(channel.Name, input.AgentId, items, $"{context.InstanceId}:{channel.Name}"), SendRetry);
                }
                catch (TaskFailedException ex)
                {
                    // Retries used up, or a bug: the batch is over either way, and the audit log says why.
                    outcome = new NotificationOutcome(false, ex.FailureDetails.ErrorMessage);
                }
            }

            sent += outcome.Sent ? 1 : 0;
            var result = outcome.Sent ? "sent" : channel.Sends ? "failed" : "skipped";
            await context.CallActivityAsync<bool>(RecordAudit.Name, new Security.AuditRecord(new DateTimeOffset(context.CurrentUtcDateTime, TimeSpan.Zero), "system",
                $"notification.{result}", input.AgentId, context.InstanceId, outcome.Sent ? $"{channel.Name}: {what}" : $"{channel.Name}: {what} — {outcome.Error}", Address: null, Outcome: result));
        }

        return sent;
    }

    /// <summary>What the batch says, for the audit log: counts by kind and the proposal ids.</summary>
    private static string Describe(List<NotificationItem> items) =>
        string.Join(", ", items.GroupBy(i => i.Kind).Select(g => $"{g.Count()} {g.Key}")) + " (" + string.Join(", ", items.Select(i => i.ProposalId)) + ")";
}
