using CompanyHub.Entities;

namespace CompanyHub.Orchestrations.Notifications;

/// <summary>Settings of the notifications of waiting proposals, per hub (section <c>Notifications</c>).</summary>
public sealed class NotificationOptions
{
    /// <summary>
    /// Gets or sets how long the notifier collects proposals before it sends one message that lists them all. Default is
    /// 60 seconds (setting <c>Notifications:BatchSeconds</c>; 0 sends each at once).
    /// </summary>
    public TimeSpan BatchWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets or sets how often a waiting proposal is recalled to its person. Default is one day (setting <c>Notifications:ReminderHours</c>).</summary>
    public TimeSpan ReminderInterval { get; set; } = TimeSpan.FromDays(1);
}

/// <summary>What a notification says about a proposal.</summary>
public static class NotificationKinds
{
    /// <summary>The proposal has started waiting for its person's decision.</summary>
    public const string Waiting = "waiting";

    /// <summary>The proposal is still waiting (the daily reminder).</summary>
    public const string Reminder = "reminder";

    /// <summary>The proposal expired without a decision (the final notice).</summary>
    public const string Expired = "expired";
}

/// <summary>A proposal the approval flow tells the notifier about: its id, its card's title and its deadline.</summary>
public sealed record ProposalNotice(string ProposalId, string Type, string Title, DateTimeOffset ExpiresAt);

/// <summary>One line of a notification: a proposal and what is said about it (<see cref="NotificationKinds"/>).</summary>
public sealed record NotificationItem(string ProposalId, string Kind, string Type, string Title, DateTimeOffset ExpiresAt);

/// <summary>What the notifier collected in one batch window for one agent: the input of <see cref="NotificationOrchestration"/>.</summary>
public sealed record NotificationBatch(string AgentId, long Number, List<NotificationItem> Items);

/// <summary>A line of a rendered notification, with the link to its card on the dashboard (never a token).</summary>
public sealed record NotificationLine(string ProposalId, string Kind, string Title, DateTimeOffset ExpiresAt, string Link);

/// <summary>
/// A notification rendered for any channel: a subject, a plain-text body and its lines. It holds only what the person's
/// dashboard shows of their proposals (the card's title and deadline) and links that go through the dashboard's sign-in.
/// </summary>
public sealed record Notification(string Subject, string Text, IReadOnlyList<NotificationLine> Lines);

/// <summary>A channel as it stands for one agent: whether the person wants it and why it cannot deliver (null when it can).</summary>
public sealed record ChannelPlan(string Name, bool On, string? WhyUnavailable)
{
    public bool Sends => On && WhyUnavailable is null;
}

/// <summary>The input of the send activity: one channel, one agent, one batch; <see cref="IdempotencyKey"/> names the notification.</summary>
public sealed record NotificationSend(string Channel, string AgentId, List<NotificationItem> Items, string IdempotencyKey);

/// <summary>What a send did: sent, or the reason it was not (a refusal that trying again does not change).</summary>
public sealed record NotificationOutcome(bool Sent, string? Error = null);

/// <summary>A person's notification choices, kept in the agent entity (<see cref="AgentState.Notifications"/>).</summary>
public sealed class NotificationSettings
{
    /// <summary>Gets or sets each channel's on/off choice by channel name; a channel not listed is on.</summary>
    public Dictionary<string, bool> Channels { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets whether a waiting proposal is recalled every day; the first notice and the expiry notice go either way.</summary>
    public bool Reminders { get; set; } = true;

    public bool IsOn(string channel) => !Channels.TryGetValue(channel, out var on) || on;
}
