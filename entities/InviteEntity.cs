using Microsoft.DurableTask.Entities;

namespace CompanyHub.Entities;

/// <summary>An invite, keyed by the SHA-256 of its code (the code itself is never stored).</summary>
public sealed record InviteState(string InstanceId, string Email, string Name, DateTimeOffset ExpiresAt, string Status)
{
    public const string Pending = "pending";
    public const string Used = "used";
    public const string Cancelled = "cancelled";
    public const string Expired = "expired";
}

/// <summary>Entity <c>invite@&lt;sha256(code)&gt;</c>: what an invite link is bound to (the email and the onboarding instance).</summary>
public sealed class InviteEntity : TaskEntity<InviteState?>
{
    public const string Name = "invite";

    public static EntityInstanceId Id(string codeHash) => new(Name, codeHash);

    public InviteState? Get() => State;

    public void Create(InviteState invite) => State = invite;

    public void Extend(DateTimeOffset expiresAt)
    {
        if (State is { Status: InviteState.Pending })
        {
            State = State with { ExpiresAt = expiresAt };
        }
    }

    public void SetStatus(string status)
    {
        if (State is not null)
        {
            State = State with { Status = status };
        }
    }

    protected override InviteState? InitializeState(TaskEntityOperation operation) => null;
}

/// <summary>
/// A pending Google sign-in: which invite it is for, its sealed PKCE verifier, and the SHA-256 of the nonce in the
/// cookie of the browser that started it (the callback must come with that cookie). Used once. A reconnect of an
/// existing agent's Google account has <c>InviteHash</c> "reconnect" and the agent's id in <paramref name="AgentId"/>.
/// </summary>
public sealed record OAuthAttempt(string InviteHash, string SealedVerifier, DateTimeOffset ExpiresAt, bool Used, string? NonceHash = null, string? AgentId = null);

/// <summary>Entity <c>oauthstate@&lt;state id&gt;</c>: the server side of an OAuth <c>state</c> parameter.</summary>
public sealed class OAuthStateEntity : TaskEntity<OAuthAttempt?>
{
    public const string Name = "oauthstate";

    public static EntityInstanceId Id(string stateId) => new(Name, stateId);

    public OAuthAttempt? Get() => State;

    public void Create(OAuthAttempt attempt) => State = attempt;

    /// <summary>Marks the attempt used and returns what it was before: a second call sees <c>Used</c> true.</summary>
    public OAuthAttempt? Use()
    {
        var before = State;
        if (State is not null)
        {
            State = State with { Used = true };
        }

        return before;
    }

    protected override OAuthAttempt? InitializeState(TaskEntityOperation operation) => null;
}
