using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CompanyHub.Entities;
using CompanyHub.Security;
using Microsoft.Extensions.DependencyInjection;

namespace CompanyHub.Tests;

/// <summary>SecretBox: AES-256-GCM envelopes bound to the hub's key and to a purpose; anything else is refused clearly.</summary>
public sealed class SealedSecretTests
{
    private const string Secret = "1//refresh-token-of-alice";
    private const string Purpose = "google-refresh-token";

    [Fact]
    public async Task SecretBox_OfTheRunningHub_OpensItsOwnSeal_RefusesTamperedForeignAndMisusedData()
    {
        await using var hub = await HubServer.StartAsync();
        var box = hub.Services.GetRequiredService<SecretBox>();
        var foreign = new SecretBox(new KeyRing(RandomNumberGenerator.GetBytes(32)));
        var sealedValue = box.Seal(Secret, Purpose);

        Assert.Equal(Secret, box.Open(sealedValue, Purpose));
        Assert.StartsWith("sb1.", sealedValue, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, sealedValue, StringComparison.Ordinal);
        Assert.NotEqual(sealedValue, box.Seal(Secret, Purpose));

        var envelope = System.Buffers.Text.Base64Url.DecodeFromChars(sealedValue.AsSpan("sb1.".Length));
        var refusals = new List<(string Case, SecretBoxException Error)>
        {
            ("ciphertext bit flipped", Refused(box, Tamper(envelope, envelope.Length - 1), Purpose)),
            ("tag bit flipped", Refused(box, Tamper(envelope, 1 + 4 + 12), Purpose)),
            ("nonce bit flipped", Refused(box, Tamper(envelope, 1 + 4), Purpose)),
            ("key id changed", Refused(box, Tamper(envelope, 1), Purpose)),
            ("version changed", Refused(box, Tamper(envelope, 0), Purpose)),
            ("truncated", Refused(box, "sb1." + System.Buffers.Text.Base64Url.EncodeToString(envelope.AsSpan(0, 20)), Purpose)),
            ("not sealed at all", Refused(box, Secret, Purpose)),
            ("not base64url", Refused(box, "sb1.***", Purpose)),
            ("another purpose", Refused(box, sealedValue, "pkce-verifier")),
            ("sealed by another hub", Refused(box, foreign.Seal(Secret, Purpose), Purpose)),
            ("opened by another hub", Refused(foreign, sealedValue, Purpose)),
        };

        foreach (var (name, error) in refusals)
        {
            Assert.False(string.IsNullOrWhiteSpace(error.Message), name);
            Assert.DoesNotContain(Secret, error.Message, StringComparison.Ordinal);
        }

        Assert.Contains("another master key", refusals.Single(r => r.Case == "sealed by another hub").Error.Message, StringComparison.Ordinal);
        Assert.Contains("tampered", refusals.Single(r => r.Case == "ciphertext bit flipped").Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StoredCredential_SealedUnderAnotherKey_ApprovedEmailFailsWithAClearError()
    {
        // Gmail is configured (its endpoints are never reached: opening the credential fails first).
        await using var hub = await HubServer.StartAsync([new("GOOGLE_CLIENT_ID", "client.apps.googleusercontent.com"), new("GOOGLE_CLIENT_SECRET", "not-used")]);
        var (agentId, token) = await HubFlows.OnboardByEventAsync(hub, "alice@company.com", "Alice");
        var foreign = new SecretBox(new KeyRing(RandomNumberGenerator.GetBytes(32)));
        await Orchestrations.EntityCalls.CallAsync(hub.Client, AgentEntity.Id(agentId), nameof(AgentEntity.SetGoogleCredential), foreign.Seal("1//stolen", Purpose), CancellationToken.None);
        using var alice = hub.Http(token);

        using var proposed = await alice.PostAsJsonAsync($"/api/agents/{agentId}/proposals", new
        {
            type = "send_email",
            payload = new { to = new[] { "bob@company.com" }, subject = "Hello", body = "Hi Bob" },
        });
        Assert.Equal(HttpStatusCode.Accepted, proposed.StatusCode);
        var proposalId = (await proposed.Content.ReadFromJsonAsync<JsonObject>())!["proposalId"]!.GetValue<string>();
        await HubFlows.WaitUntilAsync(async () => (await alice.GetFromJsonAsync<JsonObject>($"/api/proposals/{proposalId}"))!["status"]!.GetValue<string>() == "pending", () => "the proposal to be pending");
        using var approved = await alice.PostAsJsonAsync($"/api/proposals/{proposalId}/decision", new { decision = "approve", revision = 1 });
        Assert.Equal(HttpStatusCode.Accepted, approved.StatusCode);

        JsonObject? view = null;
        await HubFlows.WaitUntilAsync(async () => (view = await alice.GetFromJsonAsync<JsonObject>($"/api/proposals/{proposalId}"))!["status"]!.GetValue<string>() is "failed" or "succeeded", () => $"the proposal to finish: {view}");
        Assert.Equal("failed", view!["status"]!.GetValue<string>());
        Assert.Contains("another master key", view["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static string Tamper(byte[] envelope, int index)
    {
        var copy = (byte[])envelope.Clone();
        copy[index] ^= 0x01;
        return "sb1." + System.Buffers.Text.Base64Url.EncodeToString(copy);
    }

    private static SecretBoxException Refused(SecretBox box, string value, string purpose) => Assert.Throws<SecretBoxException>(() => box.Open(value, purpose));
}
