using CompanyHub.Entities;
using CompanyHub.Orchestrations.Notifications;
using CompanyHub.Security;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace CompanyHub.Activities;

/// <summary>The notification channels as they stand for one agent, shared by the send pipeline and the settings API.</summary>
public sealed class NotificationChannels(IEnumerable<INotificationChannel> channels)
{
    public IReadOnlyList<INotificationChannel> All { get; } = [.. channels];

    public INotificationChannel? Find(string name) => All.FirstOrDefault(c => c.Name == name);

    public async Task<List<ChannelPlan>> PlanAsync(AgentState agent, CancellationToken cancellationToken)
    {
        var plans = new List<ChannelPlan>();
        foreach (var channel in All)
        {
            plans.Add(new ChannelPlan(channel.Name, agent.Notifications.IsOn(channel.Name), await channel.WhyUnavailableAsync(agent, cancellationToken)));
        }

        return plans;
    }
}

/// <summary>Which channels an agent's person is on, and which of them can reach them now.</summary>
public sealed class PlanNotification(DurableTaskClient client, NotificationChannels channels) : TaskActivity<string, List<ChannelPlan>>
{
    public const string Name = nameof(PlanNotification);

    public override async Task<List<ChannelPlan>> RunAsync(TaskActivityContext context, string input)
    {
        var agent = (await client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(input), context.CancellationToken()))?.State;
        return agent is null ? [] : await channels.PlanAsync(agent, context.CancellationToken());
    }
}

/// <summary>Renders a batch and sends it through one channel, once per idempotency key; a transient failure throws, to be retried.</summary>
public sealed class SendNotification(NotificationChannels channels, IOptions<HubOptions> options) : TaskActivity<NotificationSend, NotificationOutcome>
{
    public const string Name = nameof(SendNotification);

    public override async Task<NotificationOutcome> RunAsync(TaskActivityContext context, NotificationSend input)
    {
        if (channels.Find(input.Channel) is not { } channel)
        {
            return new NotificationOutcome(false, $"there is no '{input.Channel}' channel on this hub");
        }

        var notification = NotificationRenderer.Render(options.Value, input.AgentId, input.Items);
        var error = await channel.SendAsync(input.AgentId, notification, input.IdempotencyKey, context.CancellationToken());
        return new NotificationOutcome(error is null, error);
    }
}
