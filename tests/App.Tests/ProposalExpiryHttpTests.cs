using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>A hub whose proposals expire after two seconds (<c>Approvals:ExpiryDays</c>).</summary>
public sealed class ExpiringToolHubFixture : ToolHubFixture
{
    public static readonly TimeSpan Expiry = TimeSpan.FromSeconds(2);

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [new("Approvals:ExpiryDays", (Expiry.TotalDays).ToString("R", CultureInfo.InvariantCulture))];
}

/// <summary>Every action type left without a decision expires on its durable timer and never runs.</summary>
public sealed class ProposalExpiryHttpTests(ExpiringToolHubFixture fixture) : IClassFixture<ExpiringToolHubFixture>
{
    [Fact]
    public async Task EveryActionType_WithoutDecision_ExpiresAndNeverRuns()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var writes = await fixture.WritesAsync();
        var ids = new Dictionary<string, string>();
        foreach (var type in ProposalCases.EveryType)
        {
            ids[type] = await ToolHub.ProposeAsync(alice, fixture.Alice, type, ProposalCases.Payload(fixture, type));
        }

        foreach (var (type, id) in ids)
        {
            var view = await ToolHub.WaitForFinalAsync(alice, id, TimeSpan.FromSeconds(20));
            Assert.True(ToolHub.Status(view) == ProposalStatus.Expired, $"{type}: {view.ToJsonString()}");
            var created = view["createdAt"]!.GetValue<DateTimeOffset>();
            var expires = view["expiresAt"]!.GetValue<DateTimeOffset>();
            Assert.InRange(expires - created, ExpiringToolHubFixture.Expiry - TimeSpan.FromSeconds(1), ExpiringToolHubFixture.Expiry + TimeSpan.FromSeconds(1));
            Assert.True(view["decidedAt"]!.GetValue<DateTimeOffset>() >= expires.AddMilliseconds(-50), $"{type} expired before its time");
            Assert.Equal(0, view["attempts"]!.GetValue<int>());
        }

        Assert.Equal(writes, await fixture.WritesAsync());

        // Too late to decide: the state says why.
        var late = await ToolHub.DecideAsync(alice, ids[ProposalTypes.SendEmail], "approve");
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal(ProposalStatus.Expired, (await late.Content.ReadFromJsonAsync<JsonObject>())!["proposalStatus"]!.GetValue<string>());
        Assert.Equal(writes, await fixture.WritesAsync());
        await ToolHub.WaitUntilAsync(
            () => alice.GetFromJsonAsync<JsonArray>($"/api/agents/{fixture.Alice}/proposals?status=expired").GetAwaiter().GetResult()!.Count == ids.Count,
            "every proposal listed as expired");
    }

    [Fact]
    public async Task EditedProposal_KeepsItsOriginalExpiry()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.CreateAttioTask, ProposalCases.Payload(fixture, ProposalTypes.CreateAttioTask));
        var first = await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);

        await ToolHub.DecideOkAsync(alice, id, "edit", new JsonObject { ["content"] = "edited, still waiting" });
        var done = await ToolHub.WaitForFinalAsync(alice, id, TimeSpan.FromSeconds(20));

        Assert.Equal(ProposalStatus.Expired, ToolHub.Status(done));
        Assert.Equal(2, done["revision"]!.GetValue<int>());
        Assert.Equal(first["expiresAt"]!.GetValue<DateTimeOffset>(), done["expiresAt"]!.GetValue<DateTimeOffset>());
        Assert.DoesNotContain(fixture.Tools.Attio.Tasks, t => t["content_plaintext"]!.GetValue<string>() == "edited, still waiting");
    }
}
