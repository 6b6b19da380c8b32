using Microsoft.DurableTask.Entities;

namespace CompanyHub.Entities;

/// <summary>The company's grant ceilings by action type (entity <c>grantpolicy@company</c>), set by the admin.</summary>
public sealed class GrantPolicyState
{
    public Dictionary<string, GrantCeiling> Ceilings { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>The admin's company-wide ceilings: a grant may not exceed its type's, and a proposal under a grant is checked against it when it runs.</summary>
public sealed class GrantPolicyEntity : TaskEntity<GrantPolicyState>
{
    public const string Name = "grantpolicy";

    public static EntityInstanceId Id { get; } = new(Name, "company");

    public GrantPolicyState Get() => State;

    public void Set(GrantCeiling ceiling) => State.Ceilings[ceiling.Type] = ceiling;

    public bool Remove(string type) => State.Ceilings.Remove(type);
}
