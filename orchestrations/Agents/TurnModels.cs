namespace CompanyHub.Orchestrations.Agents;

/// <summary>Where a turn's message came from.</summary>
public static class TurnSource
{
    public const string User = "user";
    public const string Peer = "peer";
    public const string Spawn = "spawn";
    public const string Broadcast = "broadcast";
}

/// <summary>A message for an agent to think about: one turn.</summary>
/// <param name="TurnId">The id of the turn (also the turn orchestration's instance id).</param>
/// <param name="AgentId">The agent that thinks.</param>
/// <param name="Text">The message.</param>
/// <param name="Source">user, peer, spawn or broadcast.</param>
/// <param name="FromAgentId">For peer messages and broadcasts: the sending agent, whose inbox receives the reply.</param>
/// <param name="ReplyTo">For peer messages: the proposal that carried the message.</param>
/// <param name="Hops">How many agent-to-agent messages led here; stops ping-pong.</param>
/// <param name="TelegramChatId">For a person's message from Telegram: the chat the answer goes back to.</param>
public sealed record TurnRequest(string TurnId, string AgentId, string Text, string Source, string? FromAgentId = null, string? ReplyTo = null, int Hops = 0, long? TelegramChatId = null);

/// <summary>How a turn ended.</summary>
public sealed record TurnResult(string TurnId, string Reply, int ToolRounds, IReadOnlyList<string> Proposals, string? Error = null);
