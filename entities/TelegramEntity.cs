using Microsoft.DurableTask.Entities;

namespace CompanyHub.Entities;

/// <summary>A linking code a person's dashboard showed: only the SHA-256 of the code is kept (the key), with its agent and expiry.</summary>
public sealed record TelegramLinkCode(string AgentId, DateTimeOffset ExpiresAt);

/// <summary>A Telegram user bound to an agent: the chat the bot writes to, and when and under which name it was linked.</summary>
public sealed record TelegramLink(string AgentId, long UserId, long ChatId, string? Username, DateTimeOffset LinkedAt);

/// <summary>The input of <see cref="TelegramEntity.AddCode"/>.</summary>
public sealed record TelegramCodeRequest(string CodeHash, string AgentId, DateTimeOffset ExpiresAt, DateTimeOffset Now);

/// <summary>The input of <see cref="TelegramEntity.Link"/>: a <c>/start &lt;code&gt;</c> from a Telegram user.</summary>
public sealed record TelegramLinkRequest(string CodeHash, long UserId, long ChatId, string? Username, DateTimeOffset Now);

/// <summary>What <see cref="TelegramEntity.Link"/> did: the link made, or why none was.</summary>
public sealed record TelegramLinkOutcome(TelegramLink? Link, string? Refusal);

/// <summary>An Edit button pressed: the next text from that user (<c>field: new text</c>) edits that revision of the proposal.</summary>
public sealed record TelegramPendingEdit(string ProposalId, int Revision, long UserId, long ChatId, long? MessageId, DateTimeOffset At);

/// <summary>The company bot's state: linking codes (by hash), links (by Telegram user id), pending edits, and the update ids already handled.</summary>
public sealed class TelegramState
{
    /// <summary>How many handled update ids are remembered one by one; older ones are covered by <see cref="SeenFloor"/>.</summary>
    public const int SeenWindow = 1000;

    public Dictionary<string, TelegramLinkCode> Codes { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, TelegramLink> Links { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, TelegramPendingEdit> Edits { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets the handled update ids above <see cref="SeenFloor"/>, ascending.</summary>
    public List<long> Seen { get; set; } = [];

    /// <summary>Gets or sets the highest update id forgotten from <see cref="Seen"/>: every id up to it counts as handled.</summary>
    public long SeenFloor { get; set; } = long.MinValue;

    public TelegramLink? LinkOf(long userId) => Links.GetValueOrDefault(Integrations.Telegram.TelegramBotClient.Key(userId));

    public TelegramLink? LinkOfAgent(string agentId) => Links.Values.FirstOrDefault(l => l.AgentId == agentId);
}

/// <summary>
/// Entity <c>telegram@company</c>: the Telegram channel's bindings. One Telegram user is linked to one agent and one agent
/// to one Telegram user; a linking code is used once; an update id is handled once (webhook retries and replays, or the
/// same update seen by polling and by a webhook, change nothing the second time).
/// </summary>
public sealed class TelegramEntity : TaskEntity<TelegramState>
{
    public const string Name = "telegram";

    public static EntityInstanceId Id { get; } = new(Name, "company");

    public TelegramState Get() => State;

    /// <summary>Records an update id; false when it was handled before (then nothing is to be done with it).</summary>
    public bool Accept(long updateId)
    {
        var seen = State.Seen;
        var at = seen.BinarySearch(updateId);
        if (updateId <= State.SeenFloor || at >= 0)
        {
            return false;
        }

        seen.Insert(~at, updateId);
        while (seen.Count > TelegramState.SeenWindow)
        {
            State.SeenFloor = seen[0];
            seen.RemoveAt(0);
        }

        return true;
    }

    /// <summary>A new code for an agent: its older codes (and every expired one) are dropped.</summary>
    public void AddCode(TelegramCodeRequest request)
    {
        foreach (var key in State.Codes.Where(c => c.Value.AgentId == request.AgentId || c.Value.ExpiresAt <= request.Now).Select(c => c.Key).ToList())
        {
            State.Codes.Remove(key);
        }

        State.Codes[request.CodeHash] = new TelegramLinkCode(request.AgentId, request.ExpiresAt);
    }

    /// <summary>Uses a code (once, whatever the outcome) to link the Telegram user to the code's agent.</summary>
    public TelegramLinkOutcome Link(TelegramLinkRequest request)
    {
        if (!State.Codes.Remove(request.CodeHash, out var code) || code.ExpiresAt <= request.Now)
        {
            return new TelegramLinkOutcome(null, "This link code is unknown, used or expired. Open your Company Hub dashboard and make a new one.");
        }

        if (State.LinkOf(request.UserId) is { } mine)
        {
            return new TelegramLinkOutcome(null, mine.AgentId == code.AgentId
                ? "This Telegram account is already linked to this agent."
                : "This Telegram account is already linked to another agent. Send /unlink first.");
        }

        if (State.LinkOfAgent(code.AgentId) is not null)
        {
            return new TelegramLinkOutcome(null, "This agent is already linked to another Telegram account. Unlink it on the dashboard first.");
        }

        var link = new TelegramLink(code.AgentId, request.UserId, request.ChatId, request.Username, request.Now);
        State.Links[Integrations.Telegram.TelegramBotClient.Key(request.UserId)] = link;
        return new TelegramLinkOutcome(link, null);
    }

    /// <summary>Removes the Telegram user's link (and what it was doing); returns the link removed, or null.</summary>
    public TelegramLink? Unlink(long userId)
    {
        var key = Integrations.Telegram.TelegramBotClient.Key(userId);
        State.Edits.Remove(key);
        return State.Links.Remove(key, out var link) ? link : null;
    }

    /// <summary>Removes the agent's link (the dashboard's unlink); returns the link removed, or null.</summary>
    public TelegramLink? UnlinkAgent(string agentId) => State.LinkOfAgent(agentId) is { } link ? Unlink(link.UserId) : null;

    /// <summary>Remembers that the user pressed Edit (replacing an earlier pending edit of theirs).</summary>
    public void AwaitEdit(TelegramPendingEdit edit) => State.Edits[Integrations.Telegram.TelegramBotClient.Key(edit.UserId)] = edit;

    /// <summary>Takes (removes) the user's pending edit.</summary>
    public TelegramPendingEdit? TakeEdit(long userId) => State.Edits.Remove(Integrations.Telegram.TelegramBotClient.Key(userId), out var edit) ? edit : null;
}
