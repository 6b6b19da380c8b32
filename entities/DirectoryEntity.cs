using Microsoft.DurableTask.Entities;

namespace CompanyHub.Entities;

/// <summary>One agent as the directory lists it.</summary>
public sealed record DirectoryEntry(string AgentId, string Email, string Name, AgentStatus Status, string? TokenHash, DateTimeOffset CreatedAt);

/// <summary>The directory's state: every agent, with lookups by token hash and by email.</summary>
public sealed class DirectoryState
{
    public Dictionary<string, DirectoryEntry> Agents { get; set; } = new(StringComparer.Ordinal);

    public string? FindByTokenHash(string tokenHash) =>
        Agents.Values.FirstOrDefault(a => a.Status == AgentStatus.Active && a.TokenHash is not null && Security.UserTokens.FixedTimeEquals(a.TokenHash, tokenHash))?.AgentId;

    public DirectoryEntry? FindActiveByEmail(string email) =>
        Agents.Values.FirstOrDefault(a => a.Status == AgentStatus.Active && string.Equals(a.Email, email, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// The directory (entity <c>directory@company</c>): token hash → agent, email → agent, and the list of agents that the
/// admin sees and that broadcast fans out to.
/// </summary>
public sealed class DirectoryEntity : TaskEntity<DirectoryState>
{
    public const string Name = "directory";

    public static EntityInstanceId Id { get; } = new(Name, "company");

    public DirectoryState Get() => State;

    public void Register(DirectoryEntry entry)
    {
        if (State.FindActiveByEmail(entry.Email) is { } existing && existing.AgentId != entry.AgentId)
        {
            throw new InvalidOperationException($"An active agent ({existing.AgentId}) already has the email {entry.Email}.");
        }

        State.Agents[entry.AgentId] = entry;
    }

    public void SetTokenHash(SetTokenRequest request)
    {
        if (State.Agents.TryGetValue(request.AgentId, out var entry))
        {
            State.Agents[request.AgentId] = entry with { TokenHash = request.TokenHash };
        }
    }

    public void Disable(string agentId)
    {
        if (State.Agents.TryGetValue(agentId, out var entry))
        {
            State.Agents[agentId] = entry with { Status = AgentStatus.Disabled, TokenHash = null };
        }
    }

    public sealed record SetTokenRequest(string AgentId, string? TokenHash);
}
