using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CompanyHub.Functions;
using CompanyHub.Security;
using Microsoft.Extensions.DependencyInjection;

namespace CompanyHub.Tests;

/// <summary>Rotating MASTER_KEY with MASTER_KEY_PREVIOUS: the admin link changes, sealed credentials move to the new key.</summary>
public sealed class MasterKeyRotationTests
{
    private const string Alice = "alice@company.com";

    [Fact]
    public async Task MasterKeyRotation_ReSealsGoogleCredentials_OldAdminLinkStops_PeopleKeepTheirLinks()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        await g.ConnectSenderAsync();
        var (status, html) = await g.SignInAsync(await OnboardingGoogleTests.RequestInviteCodeAsync(g.Hub, Alice));
        Assert.True(status == HttpStatusCode.OK, html);
        var aliceToken = GoogleHub.TokenIn(html);
        var pendingInvite = await g.InviteAsync("bob@company.com", "Bob");
        var (oldKey, oldAdmin) = (g.Hub.MasterKey, g.Hub.AdminToken);
        var newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        // Step 1: the new key, with the previous one still given.
        await g.RestartAsync(newKey, [new("MASTER_KEY_PREVIOUS", oldKey)]);

        Assert.NotEqual(oldAdmin, g.Hub.AdminToken);
        using (var old = g.Hub.Http(oldAdmin))
        {
            await HubFlows.AssertProblemAsync(await old.GetAsync("/api/me"), HttpStatusCode.Unauthorized);
        }

        using (var alice = g.Hub.Http(aliceToken))
        {
            Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/me")).StatusCode);
        }

        var box = g.Hub.Services.GetRequiredService<SecretBox>();
        using (var admin = g.Hub.Http(g.Hub.AdminToken))
        {
            await HubFlows.WaitUntilAsync(async () => await CredentialIsCurrentAsync(admin, box, "alice-company-com") && await CredentialIsCurrentAsync(admin, box, "orchestrator"), () => "the credentials to be re-sealed");
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/admin/onboardings/{pendingInvite}/invite")).StatusCode);
        }

        var rotated = Assert.Single(await HubFlows.AuditAsync(g.Hub, "key.rotated"));
        Assert.Contains("alice-company-com", rotated["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(oldKey, rotated.ToJsonString(), StringComparison.Ordinal);

        // Step 2: the previous key is gone; the re-sealed credentials still work (Alice's email, the sender's invites).
        await g.RestartAsync(newKey);

        using var aliceAgain = g.Hub.Http(aliceToken);
        var proposalId = await AccessControlTests.ProposeWriteAsync(aliceAgain, "alice-company-com");
        Assert.Equal(HttpStatusCode.Accepted, (await aliceAgain.PostAsJsonAsync($"/api/proposals/{proposalId}/decision", new { decision = "approve", revision = 1 })).StatusCode);
        JsonObject? view = null;
        await HubFlows.WaitUntilAsync(async () => (view = await aliceAgain.GetFromJsonAsync<JsonObject>($"/api/proposals/{proposalId}"))!["status"]!.GetValue<string>() is "succeeded" or "failed", () => $"the proposal to run: {view}");
        Assert.True(view!["status"]!.GetValue<string>() == "succeeded", view.ToJsonString());
        var carol = await g.InviteAsync("carol@company.com", "Carol");
        Assert.Equal("InviteSent", (await HubFlows.WaitForStepAsync(g.Hub, carol, "InviteSent"))["step"]!.GetValue<string>());
    }

    [Fact]
    public void Build_MalformedPreviousMasterKey_ThrowsKeyConfigurationException_NamingIt()
    {
        var directory = Path.Combine(Path.GetTempPath(), "hub-server-tests", Guid.NewGuid().ToString("N"));
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        var error = Assert.Throws<KeyConfigurationException>(() => CompanyHubApp.Build([$"--MASTER_KEY={key}", "--MASTER_KEY_PREVIOUS=c2hvcnQ=", $"--Host:DataDirectory={directory}", "--urls=http://127.0.0.1:0"]));

        Assert.Contains("MASTER_KEY_PREVIOUS", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(key, error.Message, StringComparison.Ordinal);
    }

    internal static async Task<bool> CredentialIsCurrentAsync(HttpClient admin, SecretBox box, string agentId)
    {
        var state = await admin.GetStringAsync($"/runtime/webhooks/durabletask/entities/agent/{agentId}");
        var sealedValue = state.Split('"').FirstOrDefault(v => v.StartsWith("sb1.", StringComparison.Ordinal));
        return sealedValue is not null && box.IsSealedWithCurrentKey(sealedValue);
    }
}
