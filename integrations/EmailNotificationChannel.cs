using CompanyHub.Entities;
using CompanyHub.Orchestrations.Notifications;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Integrations;

/// <summary>The <c>email</c> notification channel: a plain-text email to the person's address from the company's sender mailbox.</summary>
public sealed class EmailNotificationChannel(CompanySender sender, DurableTaskClient client) : INotificationChannel
{
    public const string ChannelName = "email";

    public string Name => ChannelName;

    public async Task<string?> WhyUnavailableAsync(AgentState agent, CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(agent.Email) ? "This agent has no email address." : await sender.WhyUnavailableAsync(cancellationToken);

    public async Task<string?> SendAsync(string agentId, Notification notification, string idempotencyKey, CancellationToken cancellationToken)
    {
        var agent = (await client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(agentId), cancellationToken))?.State;
        if (agent is null || string.IsNullOrWhiteSpace(agent.Email))
        {
            return "This agent has no email address.";
        }

        try
        {
            await sender.SendAsync(agent.Email, notification.Subject, notification.Text, idempotencyKey, cancellationToken);
            return null;
        }
        catch (IntegrationException ex) when (ex.IsTransient)
        {
            throw new NotificationTransientException(ex.Message, ex);
        }
        catch (Exception ex) when (CompanySender.WhyNotSent(ex) is { } why)
        {
            return why;
        }
    }
}
