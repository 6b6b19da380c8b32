using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CompanyHub.Fakes.Google;

namespace CompanyHub.Tests;

/// <summary>
/// A whole hub pointed at an in-process fake Google (OAuth with PKCE, userinfo, Gmail), on a fixed port so that the
/// redirect URI registered at the fake (<c>PUBLIC_BASE_URL/oauth/google/callback</c>) survives a restart. Plays the
/// browser: invite page, sign-in start, consent at the fake, callback — with one cookie jar, so the callback carries the
/// sign-in cookie that the start set, as a browser's would.
/// </summary>
public sealed class GoogleHub : IAsyncDisposable
{
    public const string AdminEmail = "admin@company.com";
    private static readonly Regex InviteLink = new("/invite/([A-Za-z0-9_-]{20,})", RegexOptions.CultureInvariant);
    private static readonly Regex DashboardLink = new("[?&]token=([A-Za-z0-9_-]{32})", RegexOptions.CultureInvariant);
    private readonly Dictionary<string, string?> _settings;
    private readonly CookieContainer _browser = new();
    private readonly List<string> _nonces = [];

    private GoogleHub(FakeGoogle google, HubServer hub, int port, Dictionary<string, string?> settings)
    {
        Google = google;
        Hub = hub;
        Port = port;
        _settings = settings;
    }

    public FakeGoogle Google { get; }

    public HubServer Hub { get; private set; }

    public int Port { get; }

    public string CallbackUri => $"http://127.0.0.1:{Port}/oauth/google/callback";

    /// <summary>Gets the nonces of the sign-in cookies the hub set in this browser (secrets: the leak test looks for them).</summary>
    public IReadOnlyList<string> SignInNonces => _nonces;

    /// <summary>Starts the fake and a hub that uses it; the admin's sender account and the given people can sign in at the fake.</summary>
    public static async Task<GoogleHub> StartAsync(IEnumerable<KeyValuePair<string, string?>>? settings = null, params string[] people)
    {
        var google = await FakeGoogle.StartAsync();
        google.AddAccount(AdminEmail, "Ada Admin");
        foreach (var email in people)
        {
            google.AddAccount(email, char.ToUpperInvariant(email[0]) + email[1..email.IndexOf('@', StringComparison.Ordinal)]);
        }

        var port = HubServer.FreePort();
        google.RegisteredRedirectUris.Add($"http://127.0.0.1:{port}/oauth/google/callback");
        var all = new Dictionary<string, string?>(google.ConfigurationValues(calendarEnabled: false));
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        var hub = await HubServer.StartAsync(all, port: port);
        return new GoogleHub(google, hub, port, all);
    }

    /// <summary>
    /// Stops the hub and starts a new one on the same port, on the same data directory unless given another, with the
    /// same master key unless given another (and more settings).
    /// </summary>
    public async Task RestartAsync(string? masterKey = null, IEnumerable<KeyValuePair<string, string?>>? settings = null, string? directory = null)
    {
        var key = masterKey ?? Hub.MasterKey;
        directory ??= Hub.Directory;
        await Hub.DisposeAsync();
        var all = new Dictionary<string, string?>(_settings);
        foreach (var (name, value) in settings ?? [])
        {
            all[name] = value;
        }

        Hub = await HubServer.StartAsync(all, directory, key, Port);
    }

    /// <summary>The admin connects the invite-sending Google account (bearer admin token on /oauth/google/connect-sender).</summary>
    public async Task ConnectSenderAsync()
    {
        using var admin = Hub.Http(Hub.AdminToken, _browser);
        using var start = await admin.GetAsync("/oauth/google/connect-sender");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        RememberNonce(start);
        Google.ConsentAccount = AdminEmail;
        try
        {
            var callback = await Google.AuthorizeAsync(start.Headers.Location!);
            var (status, html) = await OpenAsync(callback);
            Assert.True(status == HttpStatusCode.OK, html);
            Assert.Contains("Sender connected", html, StringComparison.Ordinal);
        }
        finally
        {
            Google.ConsentAccount = null;
        }
    }

    /// <summary>
    /// The person's "Reconnect Google" in this browser: POST /api/agents/{agentId}/google/reconnect with their token, consent
    /// at the fake as <paramref name="account"/> (default the login hint), and the callback page.
    /// </summary>
    public async Task<(HttpStatusCode Status, string Html)> ReconnectAsync(string token, string agentId, string? account = null)
    {
        using var person = Hub.Http(token, _browser);
        using var start = await person.PostAsync($"/api/agents/{agentId}/google/reconnect", null);
        var body = await start.Content.ReadAsStringAsync();
        Assert.True(start.StatusCode == HttpStatusCode.OK, body);
        RememberNonce(start);
        Google.ConsentAccount = account;
        try
        {
            return await OpenAsync(await Google.AuthorizeAsync(new Uri(JsonNode.Parse(body)!["url"]!.GetValue<string>())));
        }
        finally
        {
            Google.ConsentAccount = null;
        }
    }

    /// <summary>POST /api/admin/onboardings; returns the onboarding id.</summary>
    public async Task<string> InviteAsync(string email, string name)
    {
        using var admin = Hub.Http(Hub.AdminToken);
        using var response = await admin.PostAsJsonAsync("/api/admin/onboardings", new { email, name });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        return JsonNode.Parse(body)!["onboardingId"]!.GetValue<string>();
    }

    /// <summary>The admin invites the person, who signs in with (fake) Google from the invite email; returns their user token.</summary>
    public async Task<string> OnboardAsync(string email, string name)
    {
        await InviteAsync(email, name);
        await ToolHub.WaitUntilAsync(() => Google.SentEmails.Any(m => m.To.Contains(email) && m.Subject!.Contains("invitation", StringComparison.OrdinalIgnoreCase)), $"the invite to {email}");
        var (status, html) = await SignInAsync(InviteCodeFromEmail(email));
        Assert.True(status == HttpStatusCode.OK, html);
        return TokenIn(html);
    }

    /// <summary>The invite code of the newest invite email the fake recorded for <paramref name="email"/>.</summary>
    public string InviteCodeFromEmail(string email)
    {
        var mail = Google.SentEmails.Last(m => m.To.Contains(email, StringComparer.OrdinalIgnoreCase) && m.Subject!.Contains("invitation", StringComparison.OrdinalIgnoreCase));
        return InviteCodeIn(mail.Body);
    }

    /// <summary>GET /oauth/google/start?invite= → the consent URL at the fake.</summary>
    public async Task<Uri> StartSignInAsync(string code)
    {
        using var http = Hub.Http(cookies: _browser);
        using var start = await http.GetAsync($"/oauth/google/start?invite={Uri.EscapeDataString(code)}");
        Assert.True(start.StatusCode == HttpStatusCode.Redirect, await start.Content.ReadAsStringAsync());
        RememberNonce(start);
        return start.Headers.Location!;
    }

    /// <summary>Invite page → start → consent at the fake (as <paramref name="account"/>, default the invite's login hint) → the callback URL.</summary>
    public async Task<Uri> ConsentAsync(string code, string? account = null)
    {
        var (status, page) = await OpenAsync($"/invite/{code}");
        Assert.True(status == HttpStatusCode.OK, page);
        Assert.Contains($"/oauth/google/start?invite={code}", page, StringComparison.Ordinal);
        var authorization = await StartSignInAsync(code);
        Google.ConsentAccount = account;
        try
        {
            return await Google.AuthorizeAsync(authorization);
        }
        finally
        {
            Google.ConsentAccount = null;
        }
    }

    /// <summary>The whole sign-in from an invite code; returns the callback page.</summary>
    public async Task<(HttpStatusCode Status, string Html)> SignInAsync(string code, string? account = null) => await OpenAsync(await ConsentAsync(code, account));

    /// <summary>A GET as this browser makes it (its cookies, no redirects followed).</summary>
    public async Task<(HttpStatusCode Status, string Html)> OpenAsync(Uri url) => await OpenAsync(url.PathAndQuery);

    public async Task<(HttpStatusCode Status, string Html)> OpenAsync(string pathAndQuery)
    {
        using var response = await GetAsync(pathAndQuery);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The whole answer to a GET of this browser, headers and all.</summary>
    public async Task<HttpResponseMessage> GetAsync(string pathAndQuery)
    {
        using var http = Hub.Http(cookies: _browser);
        return await http.GetAsync(pathAndQuery);
    }

    public async ValueTask DisposeAsync()
    {
        await Hub.DisposeAsync();
        await Google.DisposeAsync();
    }

    private void RememberNonce(HttpResponseMessage start) =>
        _nonces.AddRange((start.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : []).Where(c => c.StartsWith(Functions.OnboardingPages.NonceCookiePrefix, StringComparison.Ordinal)).Select(c => c.Split(';')[0].Split('=', 2)[1]));

    /// <summary>The invite code in a text that contains an invite link.</summary>
    public static string InviteCodeIn(string text)
    {
        var match = InviteLink.Match(text);
        Assert.True(match.Success, $"No invite link in: {text}");
        return match.Groups[1].Value;
    }

    /// <summary>The user token in a text that contains a dashboard link.</summary>
    public static string TokenIn(string text)
    {
        var match = DashboardLink.Match(text);
        Assert.True(match.Success, $"No dashboard link in: {text}");
        return match.Groups[1].Value;
    }

}
