using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CompanyHub.Fakes.Google;

namespace CompanyHub.Browser.Tests.Infrastructure;

/// <summary>A person onboarded through the hub's Google sign-in at <see cref="FakeGoogle"/>, outside the browser.</summary>
public static partial class GoogleOnboarding
{
    /// <summary>The settings that point a <see cref="HubProcess"/> at <paramref name="google"/> (as environment names).</summary>
    public static Dictionary<string, string> HubSettings(FakeGoogle google) =>
        google.ConfigurationValues().ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);

    /// <summary>Onboards through the real Google sign-in against the fake (so that Gmail is connected); returns the agent id and token.</summary>
    public static async Task<(string AgentId, string Token)> OnboardAsync(HubProcess hub, FakeGoogle google, string email, string name)
    {
        google.AddAccount(email, name);
        using var admin = new HttpClient { BaseAddress = hub.BaseUrl };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", hub.AdminToken);
        var invited = await admin.PostAsJsonAsync("/api/admin/onboardings", new { email, name });
        Assert.Equal(HttpStatusCode.Accepted, invited.StatusCode);
        var onboardingId = (await invited.Content.ReadFromJsonAsync<JsonObject>())!["onboardingId"]!.GetValue<string>();
        var inviteUrl = (await admin.GetFromJsonAsync<JsonObject>($"/api/admin/onboardings/{onboardingId}/invite"))!["inviteUrl"]!.GetValue<string>();
        var code = inviteUrl[(inviteUrl.LastIndexOf('/') + 1)..];

        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = hub.BaseUrl };
        var start = await browser.GetAsync($"/oauth/google/start?invite={Uri.EscapeDataString(code)}");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var callback = await google.AuthorizeAsync(start.Headers.Location!);
        var html = await (await browser.GetAsync(callback.PathAndQuery)).Content.ReadAsStringAsync();
        var token = TokenInLink().Match(html).Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(token), "The callback page shows no dashboard link.");

        using var user = new HttpClient { BaseAddress = hub.BaseUrl };
        user.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var agentId = (await user.GetFromJsonAsync<JsonObject>("/api/me"))!["agentId"]!.GetValue<string>();
        return (agentId, token);
    }

    [GeneratedRegex("token=([A-Za-z0-9_-]{32})")]
    private static partial Regex TokenInLink();
}
