using System.Text.Json.Nodes;
using CompanyHub.Entities;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>
/// The agent entity's grant operations on their own: what a claim takes and when, and that a held proposal may run at
/// the end of its undo window only while its grant is still active (the race of a revocation with the window's end).
/// </summary>
public sealed class AgentGrantEntityTests
{
    private static readonly DateTimeOffset Noon = new(2030, 1, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ARevocationBeforeTheWindowEnds_RefusesTheHeldProposal_EvenWhenItsCancellationNeverArrived()
    {
        var agent = Agent(Grant("g-1", ProposalTypes.SendEmail, "domains", "acme.com", maxPerDay: 5));
        Assert.Equal("g-1", agent.ClaimGrant(Claim("p-1", Email("sarah@acme.com"), hold: true)).GrantId);
        Assert.Equal("g-1", agent.ClaimGrant(Claim("p-2", Email("sarah@acme.com"), hold: true)).GrantId);

        Assert.Equal(["p-1", "p-2"], agent.RevokeGrant(new GrantRevocation("g-1", "user:alice", Noon.AddSeconds(5))));

        Assert.False(agent.SettleGrant(new GrantSettlement("g-1", "p-1", Run: true, Noon.AddSeconds(30))));
        Assert.False(agent.SettleGrant(new GrantSettlement("g-1", "p-2", Run: true, Noon.AddSeconds(30))));
        Assert.Empty(agent.Get()!.Grants.Single().Held);
        Assert.Null(agent.ClaimGrant(Claim("p-3", Email("sarah@acme.com"), hold: true)).GrantId);
    }

    [Fact]
    public void AHeldProposal_RunsAtTheWindowsEnd_OnlyWhileTheGrantIsActive()
    {
        var agent = Agent(Grant("g-1", ProposalTypes.SendEmail, "domains", "acme.com", maxPerDay: 5, expiresAt: Noon.AddSeconds(20)));
        agent.ClaimGrant(Claim("p-1", Email("sarah@acme.com"), hold: true));
        agent.ClaimGrant(Claim("p-2", Email("sarah@acme.com"), hold: true));

        Assert.True(agent.SettleGrant(new GrantSettlement("g-1", "p-1", Run: true, Noon.AddSeconds(10))));
        Assert.False(agent.SettleGrant(new GrantSettlement("g-1", "p-2", Run: true, Noon.AddSeconds(30))));
        Assert.Null(agent.RevokeGrant(new GrantRevocation("g-nope", "user:alice", Noon)));
    }

    [Fact]
    public void TheDaysCount_EndsWithTheDay_AndAProposalOutsideSaysWhichBound()
    {
        var agent = Agent(Grant("g-1", ProposalTypes.MessageAgent, "agents", "bob-company-com", maxPerDay: 1));
        var message = new JsonObject { ["agentId"] = "bob-company-com", ["text"] = "hi" };
        Assert.Equal("g-1", agent.ClaimGrant(Claim("p-1", message)).GrantId);
        var second = agent.ClaimGrant(Claim("p-2", message));
        Assert.Null(second.GrantId);
        Assert.Contains("today's are used up", second.Crossed, StringComparison.Ordinal);
        Assert.Equal("g-1", agent.ClaimGrant(Claim("p-3", message, at: Noon.AddDays(1))).GrantId);

        var outside = agent.ClaimGrant(Claim("p-4", new JsonObject { ["agentId"] = "carol-company-com", ["text"] = "hi" }, at: Noon.AddDays(2)));
        Assert.Null(outside.GrantId);
        Assert.Contains("carol-company-com", outside.Crossed, StringComparison.Ordinal);
        Assert.Equal(new GrantClaimResult(null, null), agent.ClaimGrant(Claim("p-5", Email("sarah@acme.com"))));
    }

    [Fact]
    public void TheCompanyCeiling_CapsTheCountAndTheBounds_OfAnExistingGrant()
    {
        var agent = Agent(Grant("g-1", ProposalTypes.SendEmail, "domains", "acme.com", maxPerDay: 5));
        var ceiling = new GrantCeiling(ProposalTypes.SendEmail, true, new() { ["domains"] = ["company.com"] }, MaxPerDay: 1);
        var capped = agent.ClaimGrant(Claim("p-1", Email("sarah@acme.com")) with { Ceiling = ceiling });
        Assert.Null(capped.GrantId);
        Assert.Contains("company's ceiling", capped.Crossed, StringComparison.Ordinal);

        var countOnly = ceiling with { Bounds = [] };
        Assert.Equal("g-1", agent.ClaimGrant(Claim("p-2", Email("sarah@acme.com")) with { Ceiling = countOnly }).GrantId);
        Assert.Contains("covers 1 a day", agent.ClaimGrant(Claim("p-3", Email("sarah@acme.com")) with { Ceiling = countOnly }).Crossed, StringComparison.Ordinal);
    }

    private static AgentEntity Agent(StandingGrant grant)
    {
        var agent = new AgentEntity();
        agent.Create(new AgentProfile("alice-company-com", "alice@company.com", "Alice", new AgentIdentity("A", "B"), ["*"], AgentAutonomy.AlwaysAsk, "/w"));
        agent.AddGrant(grant);
        return agent;
    }

    private static StandingGrant Grant(string id, string type, string bound, string value, int maxPerDay, DateTimeOffset? expiresAt = null) => new()
    {
        GrantId = id,
        Type = type,
        Bounds = new() { [bound] = [value] },
        MaxPerDay = maxPerDay,
        CreatedAt = Noon.AddHours(-1),
        CreatedBy = "user:alice-company-com",
        ExpiresAt = expiresAt ?? Noon.AddDays(7),
    };

    private static JsonObject Email(string to) => new() { ["to"] = to, ["subject"] = "s", ["body"] = "b" };

    private static GrantClaim Claim(string proposalId, JsonObject payload, bool hold = false, DateTimeOffset? at = null) =>
        new(proposalId, payload["agentId"] is null ? ProposalTypes.SendEmail : ProposalTypes.MessageAgent, payload, at ?? Noon, Ceiling: null, hold);
}
