using System.Security.Claims;

namespace CompanyHub.Security;

/// <summary>Who is calling: the admin, or the person behind one agent.</summary>
public sealed record Caller(string Role, string? AgentId)
{
    public const string AdminRole = "admin";
    public const string UserRole = "user";
    public const string AgentIdClaim = "agent_id";

    public bool IsAdmin => Role == AdminRole;

    /// <summary>Gets the audit actor: <c>admin</c> or <c>user:&lt;agentId&gt;</c>.</summary>
    public string Actor => IsAdmin ? "admin" : $"user:{AgentId}";

    /// <summary>Whether the caller may see and act on this agent's resources.</summary>
    public bool CanAccess(string? agentId) => IsAdmin || (agentId is not null && string.Equals(agentId, AgentId, StringComparison.Ordinal));

    public static Caller Admin { get; } = new(AdminRole, null);

    public static Caller User(string agentId) => new(UserRole, agentId);

    /// <summary>Reads the caller from the principal the authorization handler set; the host key counts as admin.</summary>
    public static Caller From(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        if (principal.IsInRole(AdminRole))
        {
            return Admin;
        }

        return principal.FindFirst(AgentIdClaim)?.Value is { } agentId ? User(agentId) : throw new UnauthorizedAccessException("The request has no caller.");
    }

    public ClaimsPrincipal ToPrincipal()
    {
        var claims = new List<Claim> { new(ClaimTypes.Role, Role), new(ClaimTypes.Name, Actor) };
        if (AgentId is not null)
        {
            claims.Add(new Claim(AgentIdClaim, AgentId));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, "HubToken", ClaimTypes.Name, ClaimTypes.Role));
    }
}
