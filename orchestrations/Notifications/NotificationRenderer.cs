using System.Globalization;
using System.Text;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Security;

namespace CompanyHub.Orchestrations.Notifications;

/// <summary>
/// Renders a batch as one plain-text notification: what the agent proposes (the card's type and title, as the dashboard
/// shows it), until when, and a link to the card. The link is the dashboard's address with the proposal's id — opening it
/// goes through the dashboard's sign-in (the browser's session, or the person's own link); it never carries a token.
/// </summary>
public static class NotificationRenderer
{
    public static string CardLink(HubOptions hub, string agentId, string proposalId) =>
        hub.Link(agentId == Agents.SystemPrompts.OrchestratorId
            ? $"/?agent={Uri.EscapeDataString(agentId)}&proposal={Uri.EscapeDataString(proposalId)}"
            : $"/?proposal={Uri.EscapeDataString(proposalId)}");

    public static Notification Render(HubOptions hub, string agentId, IReadOnlyList<NotificationItem> items)
    {
        var lines = items.Select(i => new NotificationLine(i.ProposalId, i.Kind, OneLine($"{ProposalCard.TypeName(i.Type)}: {i.Title}"), i.ExpiresAt, CardLink(hub, agentId, i.ProposalId))).ToList();
        var subject = Subject(hub.CompanyName, lines);
        var text = new StringBuilder();
        foreach (var group in lines.GroupBy(l => l.Kind))
        {
            text.Append(Heading(group.Key, group.Count())).Append("\r\n\r\n");
            foreach (var line in group)
            {
                var when = group.Key == NotificationKinds.Expired
                    ? $"expired {Time(line.ExpiresAt)}"
                    : $"decide before {Time(line.ExpiresAt)}";
                text.Append("- ").Append(line.Title).Append(" (").Append(when).Append(")\r\n  ").Append(line.Link).Append("\r\n");
            }

            text.Append("\r\n");
        }

        text.Append("The links open your dashboard; if this browser is not signed in, open your private dashboard link first.\r\n")
            .Append("You can change these notifications in the dashboard's Notifications panel.\r\n");
        return new Notification(subject, text.ToString(), lines);
    }

    private static string Subject(string company, List<NotificationLine> lines)
    {
        var kinds = lines.Select(l => l.Kind).Distinct().ToList();
        var n = lines.Count;
        var one = n == 1 ? lines[0].Title : null;
        var subject = kinds.Count != 1 ? $"{n} proposals need your attention"
            : kinds[0] switch
            {
                NotificationKinds.Expired => one is not null ? $"Expired without a decision: {one}" : $"{n} proposals expired without a decision",
                NotificationKinds.Reminder => one is not null ? $"Reminder: waiting for your decision: {one}" : $"Reminder: {n} proposals wait for your decision",
                _ => one is not null ? $"Waiting for your decision: {one}" : $"{n} proposals wait for your decision",
            };
        return $"[{company}] {subject}";
    }

    private static string Heading(string kind, int count) => kind switch
    {
        NotificationKinds.Expired => count == 1 ? "This proposal expired without a decision; it will not run:" : "These proposals expired without a decision; they will not run:",
        NotificationKinds.Reminder => "Still waiting for your decision:",
        _ => count == 1 ? "Your agent proposes this and waits for your decision:" : "Your agent proposes these and waits for your decision:",
    };

    /// <summary>A title on one line (a page title or a subject may hold line breaks; a mail header may not), spaces collapsed.</summary>
    private static string OneLine(string text) =>
        string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(w => new string(w.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Trim()).Where(w => w.Length > 0));

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";
}
