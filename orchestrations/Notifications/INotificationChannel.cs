using CompanyHub.Entities;

namespace CompanyHub.Orchestrations.Notifications;

/// <summary>
/// A way to reach a person about their waiting proposals (email, a chat). Channels are registered in DI as
/// <see cref="INotificationChannel"/>; the notification pipeline asks each one whether it can reach an agent's person
/// and sends through those the person left on (<see cref="NotificationSettings"/>). Each send runs in its own durable
/// activity, retried on <see cref="NotificationTransientException"/>.
/// </summary>
public interface INotificationChannel
{
    /// <summary>Gets the channel's name: its key in the person's settings and in <c>GET/PUT /api/agents/{id}/notifications</c> (lower case, e.g. <c>email</c>).</summary>
    string Name { get; }

    /// <summary>Says why this channel cannot reach <paramref name="agent"/>'s person now (not configured, not linked), or null when it can.</summary>
    Task<string?> WhyUnavailableAsync(AgentState agent, CancellationToken cancellationToken);

    /// <summary>
    /// Sends <paramref name="notification"/> to <paramref name="agentId"/>'s person. At most one message per
    /// <paramref name="idempotencyKey"/>, however often it is called (a retry, a replay after a crash). Returns null when
    /// sent, or why it was not when trying again cannot help; throws <see cref="NotificationTransientException"/> when it can.
    /// </summary>
    Task<string?> SendAsync(string agentId, Notification notification, string idempotencyKey, CancellationToken cancellationToken);
}

/// <summary>A send failed in a way that trying again later may fix (a 5xx, a rate limit, the network): the activity is retried.</summary>
public sealed class NotificationTransientException(string message, Exception? innerException = null) : Exception(message, innerException);
