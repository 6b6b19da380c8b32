using CompanyHub.Entities;
using CompanyHub.Functions.Live;

namespace CompanyHub.Tests;

/// <summary><see cref="AgentEventStream.Since"/>: what a person's stream sends after a given change number, from the agent's state alone.</summary>
public sealed class AgentEventStreamTests
{
    private static AgentEntity Entity(out Func<AgentState> state)
    {
        var entity = new AgentEntity();
        var field = typeof(Microsoft.DurableTask.Entities.TaskEntity<AgentState?>).GetProperty("State", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!;
        field.SetValue(entity, new AgentState { AgentId = "ann-company-com", Name = "Ann", Status = AgentStatus.Active });
        state = () => (AgentState)field.GetValue(entity)!;
        return entity;
    }

    [Fact]
    public void Sends_each_changed_item_once_in_its_current_state_under_its_latest_change_number()
    {
        var entity = Entity(out var state);
        entity.UpsertProposal(new ProposalSummary("p-1", "send_email", "pending", "Mail", DateTimeOffset.UnixEpoch));
        var after = state().Version;
        entity.AppendConversation([new ConversationMessage(0, "user", "hello", DateTimeOffset.UnixEpoch)]);
        entity.UpsertProposal(new ProposalSummary("p-1", "send_email", "pending", "Mail (edited)", DateTimeOffset.UnixEpoch, Revision: 2));
        entity.UpsertProposal(new ProposalSummary("p-1", "send_email", "succeeded", "Mail (edited)", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "sent", 2));
        entity.SetTokenHash("new-hash");

        var events = AgentEventStream.Since(state(), after);

        Assert.Equal(["message", "proposal"], events.Select(e => e.EventType));
        Assert.Equal((after + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), events[0].EventId);
        Assert.Contains("\"text\":\"hello\"", events[0].Data, StringComparison.Ordinal);
        Assert.Equal((after + 3).ToString(System.Globalization.CultureInfo.InvariantCulture), events[1].EventId);
        Assert.Contains("\"status\":\"succeeded\"", events[1].Data, StringComparison.Ordinal);
        Assert.Contains("\"revision\":2", events[1].Data, StringComparison.Ordinal);
        Assert.Empty(AgentEventStream.Since(state(), state().Version));
    }

    [Fact]
    public void Says_reset_when_the_changes_after_the_number_are_no_longer_kept_or_the_number_is_unknown()
    {
        var entity = Entity(out var state);
        for (var i = 0; i < AgentState.MaxChanges + 5; i++)
        {
            entity.AddInbox(new InboxMessage($"m-{i}", "bob-company-com", $"note {i}", DateTimeOffset.UnixEpoch));
        }

        Assert.Equal(AgentState.MaxChanges, state().Changes.Count);
        Assert.Equal("reset", Assert.Single(AgentEventStream.Since(state(), 2)).EventType);
        Assert.Equal("reset", Assert.Single(AgentEventStream.Since(state(), state().Version + 1)).EventType);
        var oldestKept = state().Changes[0].Version;
        Assert.Equal(AgentState.MaxChanges, AgentEventStream.Since(state(), oldestKept - 1).Count);
    }

    [Fact]
    public void Says_reset_when_a_missed_message_left_the_recent_conversation()
    {
        var entity = Entity(out var state);
        entity.AppendConversation([.. Enumerable.Range(0, AgentState.MaxConversation + 1).Select(i => new ConversationMessage(0, "user", $"m{i}", DateTimeOffset.UnixEpoch))]);

        Assert.Equal("reset", Assert.Single(AgentEventStream.Since(state(), 0)).EventType);
        Assert.Equal(["message"], AgentEventStream.Since(state(), state().Version - 1).Select(e => e.EventType));
    }
}
