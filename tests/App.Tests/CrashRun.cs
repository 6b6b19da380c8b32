using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Attio;
using CompanyHub.Fakes.Google;
using CompanyHub.Fakes.Notion;

namespace CompanyHub.Tests;

/// <summary>
/// One crash-test run: the fakes of Google, Notion, Attio and the LLM in the test process (they outlive the hub and
/// count its calls), and the hub as a child process on one data directory across its restarts.
/// </summary>
public sealed class CrashRun : IAsyncDisposable
{
    public const string LlmKey = "test-llm-key";
    private readonly List<KeyValuePair<string, string?>> _settings;
    private HubChild? _hub;

    private CrashRun(FakeGoogle google, FakeNotion notion, FakeAttio attio, FakeOpenAi llm, HubLocation location, IEnumerable<KeyValuePair<string, string?>> settings)
    {
        Google = google;
        Notion = notion;
        Attio = attio;
        Llm = llm;
        Location = location;
        _settings = [.. google.ConfigurationValues(), .. notion.ConfigurationValues(), .. attio.ConfigurationValues(), new("REDPILL_API_KEY", LlmKey), new("LLM_BASE_URL", llm.BaseUrl), new("COMPANY_NAME", "Acme Crash Tests"), .. settings];
    }

    public FakeGoogle Google { get; }

    public FakeNotion Notion { get; }

    public FakeAttio Attio { get; }

    public FakeOpenAi Llm { get; }

    public HubLocation Location { get; }

    public HubChild Hub => _hub ?? throw new InvalidOperationException("The hub is not started.");

    /// <summary>Gets what the flow's setup leaves for its act and checks (agent ids, tokens, the proposal, a tag).</summary>
    public Dictionary<string, string> State { get; } = new(StringComparer.Ordinal);

    /// <summary>Starts the fakes; the hub gets their settings and <paramref name="settings"/> (the flow's own).</summary>
    public static async Task<CrashRun> StartAsync(Func<IEnumerable<KeyValuePair<string, string?>>> settings)
    {
        var location = HubLocation.Create();
        var google = await FakeGoogle.StartAsync();
        google.RegisteredRedirectUris.Add($"{location.BaseUrl}/oauth/google/callback");
        var llm = await FakeOpenAi.StartAsync();
        llm.Default = request => FakeOpenAi.Reply.Text("noted: " + request["messages"]!.AsArray().Last()!["content"]!.GetValue<string>());
        return new CrashRun(google, await FakeNotion.StartAsync(), await FakeAttio.StartAsync(), llm, location, settings());
    }

    /// <summary>Starts the hub (after the previous one died or was killed), armed with <paramref name="crashPoint"/> when given.</summary>
    public async Task StartHubAsync(string? crashPoint = null)
    {
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }

        _hub = await HubChild.StartAsync(Location, _settings, crashPoint);
        if (crashPoint is null)
        {
            Assert.False(_hub.HasExited, $"The hub did not start:{Environment.NewLine}{_hub.Output}");
        }
    }

    /// <summary>
    /// Starts a second hub process with the same settings and master key but its own data directory and port: a
    /// replica, when the settings put the store in a shared database.
    /// </summary>
    public async Task<HubChild> StartReplicaAsync()
    {
        var location = HubLocation.Create() with { MasterKey = Location.MasterKey };
        Google.RegisteredRedirectUris.Add($"{location.BaseUrl}/oauth/google/callback");
        var replica = await HubChild.StartAsync(location, _settings);
        Assert.False(replica.HasExited, $"The replica did not start:{Environment.NewLine}{replica.Output}");
        return replica;
    }

    public HttpClient Admin() => Hub.Http(Hub.AdminToken);

    /// <summary>The value of one of the hub's settings.</summary>
    public string Setting(string name) => _settings.Last(s => s.Key == name).Value!;

    /// <summary>Signs a person up through the fake Google; remembers their token under their agent id.</summary>
    public async Task<string> OnboardAsync(string email, string name)
    {
        Google.AddAccount(email, name);
        using var admin = Admin();
        using var invited = await admin.PostAsJsonAsync("/api/admin/onboardings", new { email, name });
        Assert.Equal(HttpStatusCode.Accepted, invited.StatusCode);
        // The invite opens once the onboarding has validated the request (a moment, longer on a busy machine).
        var invitePath = $"/api/admin/onboardings/{JsonNode.Parse(await invited.Content.ReadAsStringAsync())!["onboardingId"]}/invite";
        JsonNode invite = new JsonObject();
        await WaitUntilAsync(async () =>
        {
            using var response = await admin.GetAsync(invitePath);
            return response.IsSuccessStatusCode && (invite = JsonNode.Parse(await response.Content.ReadAsStringAsync())!) is not null;
        }, "the onboarding's invite to open");
        using var browser = Hub.Http(cookies: new System.Net.CookieContainer());
        using var start = await browser.GetAsync($"/oauth/google/start?invite={GoogleHub.InviteCodeIn(invite["inviteUrl"]!.GetValue<string>())}");
        using var page = await browser.GetAsync((await Google.AuthorizeAsync(start.Headers.Location!)).PathAndQuery);
        var token = GoogleHub.TokenIn(await page.Content.ReadAsStringAsync());
        using var user = Hub.Http(token);
        var agentId = (await user.GetFromJsonAsync<JsonObject>("/api/me"))!["agentId"]!.GetValue<string>();
        State[agentId] = token;
        return agentId;
    }

    public HttpClient User(string agentId) => Hub.Http(State[agentId]);

    /// <summary>GET as the admin, retried while the restarted hub is still catching up (5xx).</summary>
    public async Task<JsonNode> GetAsync(string path)
    {
        using var admin = Admin();
        using var response = await admin.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> and the hub's output after 30 s.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting for {what}.{Environment.NewLine}{Hub.Output}");
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>No work was dead-lettered and no orchestration failed: the crash lost nothing.</summary>
    public async Task AssertNothingLostAsync()
    {
        var health = await GetAsync("/api/admin/health");
        Assert.True(health["deadLetters"]!.GetValue<int>() == 0, $"dead letters after the restart: {health.ToJsonString()}");
        using var host = Hub.Http();
        host.DefaultRequestHeaders.Add("x-functions-key", (await File.ReadAllTextAsync(Path.Combine(Location.Directory, "host-admin.key"))).Trim());
        var failed = await host.GetFromJsonAsync<JsonArray>("/runtime/webhooks/durabletask/instances?runtimeStatus=Failed");
        Assert.True(failed!.Count == 0, $"failed orchestrations after the restart: {failed.ToJsonString()}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }

        await Google.DisposeAsync();
        await Notion.DisposeAsync();
        await Attio.DisposeAsync();
        await Llm.DisposeAsync();
        try
        {
            Directory.Delete(Location.Directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp clean-up.
        }
    }
}
