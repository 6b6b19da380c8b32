using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CompanyHub.Fakes.Attio;
using CompanyHub.Fakes.Google;
using CompanyHub.Fakes.Notion;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>
/// The whole hub (<see cref="HubServer"/>) wired to the in-process fakes of Google (OAuth, Gmail, Calendar), Notion and
/// Attio, with helpers to onboard people through the real Google sign-in and to drive proposals over HTTP.
/// Restartable on the same data directory, port and master key (crash tests).
/// </summary>
public sealed partial class ToolHub : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Settings that lift each person's limits on chat, proposals and decisions as far as they go: for hubs whose tests
    /// together act far faster than a person would (the limits themselves: <see cref="PersonRateLimitTests"/>).
    /// </summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string?>> PersonLimitsLifted =
        [.. Enum.GetValues<Security.PersonLimit>().Select(k => new KeyValuePair<string, string?>($"RateLimits:{k}:PermitLimit", $"{Security.PersonLimits.MaxPermitLimit}"))];

    private readonly List<KeyValuePair<string, string?>> _settings;
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);

    private ToolHub(FakeGoogle google, FakeNotion notion, FakeAttio attio, HubServer hub, List<KeyValuePair<string, string?>> settings)
    {
        Google = google;
        Notion = notion;
        Attio = attio;
        Hub = hub;
        _settings = settings;
    }

    public FakeGoogle Google { get; }

    public FakeNotion Notion { get; }

    public FakeAttio Attio { get; }

    public HubServer Hub { get; private set; }

    /// <summary>Starts the fakes and a hub pointed at them; <paramref name="tools"/> picks which credentials the hub gets.</summary>
    /// <param name="directory">An existing data directory to start on (with its <paramref name="masterKey"/>); a new one by default.</param>
    public static async Task<ToolHub> StartAsync(Tools tools = Tools.All, IEnumerable<KeyValuePair<string, string?>>? settings = null, string? directory = null, string? masterKey = null)
    {
        var google = await FakeGoogle.StartAsync();
        var notion = await FakeNotion.StartAsync();
        var attio = await FakeAttio.StartAsync();
        var port = HubServer.FreePort();
        var all = new List<KeyValuePair<string, string?>>();
        if (tools.HasFlag(Tools.Google))
        {
            google.RegisteredRedirectUris.Add($"http://127.0.0.1:{port}/oauth/google/callback");
            all.AddRange(google.ConfigurationValues());
        }

        if (tools.HasFlag(Tools.Notion))
        {
            all.AddRange(notion.ConfigurationValues());
        }

        if (tools.HasFlag(Tools.Attio))
        {
            all.AddRange(attio.ConfigurationValues());
        }

        all.AddRange(settings ?? []);
        var hub = await HubServer.StartAsync(all, directory, masterKey, port);
        return new ToolHub(google, notion, attio, hub, all);
    }

    /// <summary>
    /// Stops the hub (gracefully: the runtime's grace period applies) and starts it again on the same port and master key,
    /// on the same directory or on <paramref name="directory"/> (an empty one: a fresh machine).
    /// </summary>
    public async Task RestartAsync(string? directory = null)
    {
        directory ??= Hub.Directory;
        var key = Hub.MasterKey;
        var port = new Uri(Hub.BaseUrl).Port;
        await Hub.DisposeAsync();
        Hub = await HubServer.StartAsync(_settings, directory, key, port);
    }

    public HttpClient Admin() => Hub.Http(Hub.AdminToken);

    /// <summary>The user token of someone onboarded before.</summary>
    public string Token(string agentId) => _tokens[agentId];

    public HttpClient User(string agentId) => Hub.Http(Token(agentId));

    /// <summary>
    /// Onboards <paramref name="email"/> as a person would: the admin invites, the person opens the invite, signs in at
    /// (fake) Google, and Google sends them back to the hub's callback, which shows the dashboard link. Returns the agent id.
    /// </summary>
    public async Task<string> OnboardWithGoogleAsync(string email, string name) =>
        await SignInWithGoogleAsync(await InviteAsync(email, name));

    /// <summary>The admin invites <paramref name="email"/> (known to fake Google); returns the onboarding id.</summary>
    public async Task<string> InviteAsync(string email, string name)
    {
        Google.AddAccount(email, name);
        using var admin = Admin();
        var invited = await admin.PostAsJsonAsync("/api/admin/onboardings", new { email, name });
        Assert.Equal(HttpStatusCode.Accepted, invited.StatusCode);
        return (await invited.Content.ReadFromJsonAsync<JsonObject>())!["onboardingId"]!.GetValue<string>();
    }

    /// <summary>The invited person opens the invite and signs in at (fake) Google; returns their agent id.</summary>
    public async Task<string> SignInWithGoogleAsync(string onboardingId)
    {
        using var admin = Admin();
        var inviteUrl = (await admin.GetFromJsonAsync<JsonObject>($"/api/admin/onboardings/{onboardingId}/invite"))!["inviteUrl"]!.GetValue<string>();
        var code = inviteUrl[(inviteUrl.LastIndexOf('/') + 1)..];

        using var browser = Hub.Http(cookies: new CookieContainer());
        var start = await browser.GetAsync($"/oauth/google/start?invite={Uri.EscapeDataString(code)}");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var callback = await Google.AuthorizeAsync(start.Headers.Location!);
        var page = await browser.GetAsync(callback.PathAndQuery);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"The OAuth callback answered {(int)page.StatusCode}: {html}");
        var token = TokenInLink().Match(html).Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(token), "The callback page shows no dashboard link.");

        using var user = Hub.Http(token);
        var me = (await user.GetFromJsonAsync<JsonObject>("/api/me"))!;
        var agentId = me["agentId"]!.GetValue<string>();
        _tokens[agentId] = token;
        return agentId;
    }

    /// <summary>Onboards through the development sign-in (a hub without Google credentials); returns the agent id.</summary>
    public async Task<string> OnboardWithDevSignInAsync(string email, string name)
    {
        using var admin = Admin();
        var invited = await admin.PostAsJsonAsync("/api/admin/onboardings", new { email, name });
        Assert.Equal(HttpStatusCode.Accepted, invited.StatusCode);
        var onboardingId = (await invited.Content.ReadFromJsonAsync<JsonObject>())!["onboardingId"]!.GetValue<string>();
        var inviteUrl = (await admin.GetFromJsonAsync<JsonObject>($"/api/admin/onboardings/{onboardingId}/invite"))!["inviteUrl"]!.GetValue<string>();
        var code = inviteUrl[(inviteUrl.LastIndexOf('/') + 1)..];

        using var browser = Hub.Http();
        var page = await browser.PostAsync($"/invite/{code}/dev-sign-in", new FormUrlEncodedContent([new("email", email)]));
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"The development sign-in answered {(int)page.StatusCode}: {html}");
        var token = TokenInLink().Match(html).Groups[1].Value;
        using var user = Hub.Http(token);
        var agentId = (await user.GetFromJsonAsync<JsonObject>("/api/me"))!["agentId"]!.GetValue<string>();
        _tokens[agentId] = token;
        return agentId;
    }

    /// <summary>Proposes by hand (the path the agent's tools use) and returns the proposal id.</summary>
    public static async Task<string> ProposeAsync(HttpClient http, string agentId, string type, JsonObject payload)
    {
        var response = await http.PostAsJsonAsync($"/api/agents/{agentId}/proposals", new { type, payload });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Proposing {type} answered {(int)response.StatusCode}: {body}");
        var json = JsonNode.Parse(body)!.AsObject();
        Assert.Equal(ProposalStatus.Pending, json["status"]!.GetValue<string>());
        return json["proposalId"]!.GetValue<string>();
    }

    /// <summary>Decides as the dashboard does: on the revision shown now (read first), unless <paramref name="revision"/> names one.</summary>
    public static async Task<HttpResponseMessage> DecideAsync(HttpClient http, string proposalId, string decision, JsonObject? changes = null, string? reason = null, int? revision = null)
    {
        if (revision is null)
        {
            using var shown = await http.GetAsync($"/api/proposals/{proposalId}");
            revision = shown.IsSuccessStatusCode ? (await shown.Content.ReadFromJsonAsync<JsonObject>())!["revision"]!.GetValue<int>() : 1;
        }

        return await http.PostAsJsonAsync($"/api/proposals/{proposalId}/decision", new { decision, changes, reason, revision });
    }

    /// <summary>Decides and asserts that the decision was accepted.</summary>
    public static async Task DecideOkAsync(HttpClient http, string proposalId, string decision, JsonObject? changes = null, string? reason = null, int? revision = null)
    {
        var response = await DecideAsync(http, proposalId, decision, changes, reason, revision);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Deciding {decision} on {proposalId} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public static async Task<JsonObject> GetProposalAsync(HttpClient http, string proposalId) =>
        (await http.GetFromJsonAsync<JsonObject>($"/api/proposals/{proposalId}"))!;

    /// <summary>Polls the proposal until <paramref name="done"/> holds (or fails the test after <see cref="Wait"/>).</summary>
    public static async Task<JsonObject> WaitForProposalAsync(HttpClient http, string proposalId, Func<JsonObject, bool> done, TimeSpan? wait = null)
    {
        using var cts = new CancellationTokenSource(wait ?? Wait);
        JsonObject? last = null;
        try
        {
            while (true)
            {
                last = await GetProposalAsync(http, proposalId);
                if (done(last))
                {
                    return last;
                }

                await Task.Delay(25, cts.Token);
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"Proposal {proposalId} did not reach the expected state in time; last seen: {last?.ToJsonString()}");
            throw;
        }
    }

    public static Task<JsonObject> WaitForStatusAsync(HttpClient http, string proposalId, string status, TimeSpan? wait = null) =>
        WaitForProposalAsync(http, proposalId, p => p["status"]?.GetValue<string>() == status, wait);

    /// <summary>Waits for a finished state (succeeded, failed, rejected, expired, cancelled).</summary>
    public static Task<JsonObject> WaitForFinalAsync(HttpClient http, string proposalId, TimeSpan? wait = null) =>
        WaitForProposalAsync(http, proposalId, p => ProposalStatus.IsFinal(p["status"]!.GetValue<string>()), wait);

    /// <summary>Waits until a condition on the outside world holds (a fake received something, ...).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? wait = null)
    {
        using var cts = new CancellationTokenSource(wait ?? Wait);
        while (!condition())
        {
            try
            {
                await Task.Delay(20, cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }
        }
    }

    public static string Status(JsonObject proposal) => proposal["status"]!.GetValue<string>();

    public async ValueTask DisposeAsync()
    {
        await Hub.DisposeAsync();
        await Google.DisposeAsync();
        await Notion.DisposeAsync();
        await Attio.DisposeAsync();
    }

    [GeneratedRegex("token=([A-Za-z0-9_-]{32})")]
    private static partial Regex TokenInLink();
}

/// <summary>Which company tools a <see cref="ToolHub"/> gets credentials for.</summary>
[Flags]
public enum Tools
{
    None = 0,
    Google = 1,
    Notion = 2,
    Attio = 4,
    All = Google | Notion | Attio,
}
