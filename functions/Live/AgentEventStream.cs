using System.Globalization;
using System.Net.ServerSentEvents;
using CompanyHub.Entities;
using CompanyHub.Integrations.Google;

namespace CompanyHub.Functions.Live;

/// <summary>
/// What a person's stream sends for the changes of one agent after a given change number. Everything comes from the
/// agent's own state (its numbered <see cref="AgentState.Changes"/> and the items they name), so any replica can answer
/// and a reconnecting client resumes exactly where it stopped. Each event's id is the number of the change it shows.
/// </summary>
public static class AgentEventStream
{
    /// <summary>
    /// The events that bring a client that saw changes up to <paramref name="after"/> to the agent's current state: one
    /// per changed item (the latest state of it, under the number of its latest change), oldest first; a single
    /// <c>reset</c> when the changes it missed are no longer kept (or the number is from the future: another agent of
    /// the same id, or a client's invention).
    /// </summary>
    public static IReadOnlyList<SseItem<string>> Since(AgentState agent, long after, GoogleOptions? google = null)
    {
        ArgumentNullException.ThrowIfNull(agent);
        if (after == agent.Version)
        {
            return [];
        }

        var missed = agent.Changes.Where(c => c.Version > after).ToList();
        var kept = agent.Changes.Count > 0 && agent.Changes[0].Version <= after + 1;
        if (after > agent.Version || !kept)
        {
            return [Reset(agent, after > agent.Version ? "the event id is not one this agent gave" : "the changes since the event id are no longer kept")];
        }

        // The latest change of each item, in the order of those latest changes.
        var latest = missed.GroupBy(c => (c.Kind, c.Id)).Select(g => g.Last()).OrderBy(c => c.Version);
        var events = new List<SseItem<string>>();
        foreach (var change in latest)
        {
            switch (change.Kind)
            {
                case AgentChangeKinds.Message:
                    var seq = long.Parse(change.Id!, CultureInfo.InvariantCulture);
                    if (agent.Conversation.Find(m => m.Seq == seq) is not { } message)
                    {
                        // Scrolled out of the agent's recent conversation (the archive keeps it): the client reads it there.
                        return [Reset(agent, "messages since the event id are only in the archive now")];
                    }

                    events.Add(LiveEvent.Create(LiveEventTypes.Message, message, change.Version));
                    break;
                case AgentChangeKinds.Proposal when agent.Proposals.Find(p => p.ProposalId == change.Id) is { } proposal:
                    events.Add(LiveEvent.Create(LiveEventTypes.Proposal, Proposal(agent.AgentId, proposal), change.Version));
                    break;
                case AgentChangeKinds.Inbox when agent.Inbox.Find(m => m.Id == change.Id) is { } inbox:
                    events.Add(LiveEvent.Create(LiveEventTypes.Inbox, inbox, change.Version));
                    break;
                case AgentChangeKinds.Grant when agent.Grants.Find(g => g.GrantId == change.Id) is { } grant:
                    events.Add(LiveEvent.Create(LiveEventTypes.Grant, new { agentId = agent.AgentId, grant = GrantFunctions.View(grant, DateTimeOffset.UtcNow) }, change.Version));
                    break;
                case AgentChangeKinds.Agent:
                    events.Add(LiveEvent.Create(LiveEventTypes.Agent, AgentFunctions.View(agent, google), change.Version));
                    break;
                default:
                    // Access changes show nothing (the stream checks its access itself); a proposal or inbox message
                    // since dropped from the bounded lists has nothing left to show.
                    break;
            }
        }

        return events;
    }

    /// <summary>The <c>proposal</c> event's data: the agent's summary of it and whose it is.</summary>
    public static object Proposal(string agentId, ProposalSummary p) => new
    {
        agentId,
        p.ProposalId,
        p.Type,
        p.Status,
        p.Revision,
        p.Title,
        p.CreatedAt,
        p.DecidedAt,
        p.Outcome,
    };

    private static SseItem<string> Reset(AgentState agent, string reason) =>
        LiveEvent.Create(LiveEventTypes.Reset, new { agentId = agent.AgentId, version = agent.Version, reason }, agent.Version);
}
