using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Functions;
using Serverless.Functions;

namespace CompanyHub.Tests;

/// <summary>
/// The development sign-in trusts whoever reaches the hub: on by itself only while the hub listens on loopback alone;
/// beyond loopback only when forced, and then self-service requests wait for the admin.
/// </summary>
public sealed class DevSignInTests
{
    [Theory]
    [InlineData(new[] { "http://127.0.0.1:18789" }, true)]
    [InlineData(new[] { "http://localhost:5000", "http://[::1]:5000" }, true)]
    [InlineData(new[] { "http://127.0.0.1:18789", "http://0.0.0.0:18789" }, false)]
    [InlineData(new[] { "http://0.0.0.0:8080" }, false)]
    [InlineData(new[] { "http://[::]:8080" }, false)]
    [InlineData(new[] { "http://+:80" }, false)]
    [InlineData(new[] { "http://*:80" }, false)]
    [InlineData(new[] { "http://10.0.0.5:80" }, false)]
    [InlineData(new string[0], false)]
    public void LoopbackOnly_TellsLoopbackAddressesFromAnyOther(string[] addresses, bool expected) =>
        Assert.Equal(expected, DevSignIn.LoopbackOnly(addresses));

    [Theory]
    [InlineData(null, false, true, true)]
    [InlineData(null, false, false, false)]
    [InlineData(true, false, false, true)]
    [InlineData(false, false, true, false)]
    [InlineData(true, true, true, false)]
    public void Decide_GoogleFirst_ThenTheSetting_ThenLoopback(bool? setting, bool googleConfigured, bool loopbackOnly, bool enabled) =>
        Assert.Equal(enabled, DevSignIn.Decide(setting, googleConfigured, loopbackOnly).Enabled);

    [Theory]
    [InlineData("yes")]
    [InlineData("1")]
    [InlineData("on")]
    public void Setting_NotABoolean_IsRefusedNamingTheSetting(string value)
    {
        var error = Assert.Throws<FunctionsConfigurationException>(() => DevSignIn.Parse(value));
        Assert.Contains("Auth:DevSignIn", error.Message, StringComparison.Ordinal);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HubBeyondLoopback_OffersNoDevelopmentSignIn_UnlessForced()
    {
        // Arrange: a hub listening on every address, without Google credentials.
        var port = HubServer.FreePort();
        await using var hub = await HubServer.StartAsync([new("urls", $"http://0.0.0.0:{port}")], port: port);
        using var admin = hub.Http(hub.AdminToken);
        using var invited = await admin.PostAsJsonAsync("/api/admin/onboardings", new { email = "eve@company.com", name = "Eve" });
        var id = (await invited.Content.ReadFromJsonAsync<JsonObject>())!["onboardingId"]!.GetValue<string>();
        var code = GoogleHub.InviteCodeIn((await admin.GetFromJsonAsync<JsonObject>($"/api/admin/onboardings/{id}/invite"))!["inviteUrl"]!.GetValue<string>());
        using var anonymous = hub.Http();

        // Act
        var page = await anonymous.GetStringAsync($"/invite/{code}");
        using var signIn = await anonymous.PostAsync($"/invite/{code}/dev-sign-in", new FormUrlEncodedContent([new("email", "eve@company.com")]));

        // Assert: no form, and the sign-in itself is refused.
        Assert.DoesNotContain("dev-sign-in", page, StringComparison.Ordinal);
        Assert.Contains("Sign-in is not available", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, signIn.StatusCode);
    }

    [Fact]
    public async Task HubBeyondLoopback_ForcedOn_SelfServiceRequestsWaitForTheAdmin()
    {
        var port = HubServer.FreePort();
        await using var hub = await HubServer.StartAsync([new("urls", $"http://0.0.0.0:{port}"), new("Auth:DevSignIn", "true")], port: port);
        using var anonymous = hub.Http();

        using var request = await anonymous.PostAsJsonAsync("/api/onboarding/requests", new { email = "mallory@company.com", name = "Mallory" });

        Assert.Equal(HttpStatusCode.Accepted, request.StatusCode);
        var body = (await request.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.False(body.ContainsKey("inviteUrl"), body.ToJsonString());
        Assert.Equal("awaiting the admin's approval", body["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(false, null, true, false)]
    [InlineData(true, null, false, false)]
    [InlineData(true, "true", true, true)]
    [InlineData(false, "false", false, false)]
    public async Task AdminHealth_SaysWhetherItIsOffered_AndLoudlyWhenBeyondLoopback(bool everyAddress, string? setting, bool enabled, bool beyondLoopback)
    {
        var port = HubServer.FreePort();
        await using var hub = await HubServer.StartAsync([new("urls", $"http://{(everyAddress ? "0.0.0.0" : "127.0.0.1")}:{port}"), new("Auth:DevSignIn", setting)], port: port);
        using var admin = hub.Http(hub.AdminToken);

        var report = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/health"))!["devSignIn"]!.AsObject();

        Assert.Equal(enabled, report["enabled"]!.GetValue<bool>());
        Assert.Equal(beyondLoopback, report["beyondLoopback"]!.GetValue<bool>());
        Assert.False(string.IsNullOrWhiteSpace(report["why"]!.GetValue<string>()));
        var description = report["description"]!.GetValue<string>();
        Assert.StartsWith(!enabled ? "Development sign-in: off (" : beyondLoopback ? "Development sign-in: ON BEYOND LOOPBACK (" : "Development sign-in: on (", description, StringComparison.Ordinal);
        Assert.Contains(report["why"]!.GetValue<string>(), description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Setting_NotABoolean_StopsTheHubFromStarting()
    {
        var error = await Assert.ThrowsAsync<FunctionsConfigurationException>(() => HubServer.StartAsync([new("Auth:DevSignIn", "maybe")]));
        Assert.Contains("Auth:DevSignIn", error.Message, StringComparison.Ordinal);
    }
}
