using Microsoft.Playwright;

namespace CompanyHub.Browser.Tests.Infrastructure;

/// <summary>
/// One real hub (its LLM is <see cref="FakeModel"/>) and one headless Chromium for the whole suite (starting them is
/// the slow part); every test opens its own browser contexts, so cookies never leak between people.
/// </summary>
public sealed class HubFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private HubProcess? _hub;
    private FakeModel? _model;
    private CompanyHub.Fakes.Attio.FakeAttio? _attio;
    private CompanyHub.Fakes.Notion.FakeNotion? _notion;

    public HubProcess Hub => _hub ?? throw new InvalidOperationException("The hub is not started.");

    /// <summary>Gets the fake Notion the hub is pointed at (its databases are what the admin's knowledge sync reads).</summary>
    public CompanyHub.Fakes.Notion.FakeNotion Notion => _notion ?? throw new InvalidOperationException("The fake Notion is not started.");

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser is not started.");

    public HubApi Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Chromium first: without it nothing here can run, and the message says how to fix that.
        var chromium = Chromium.ExecutablePath();
        _model = await FakeModel.StartAsync();

        // The company tools are in-process fakes of Attio and Notion, so that proposals of their actions can be made
        // and run. Google stays unconfigured: the invite page then offers the development sign-in the tests use.
        _attio = await CompanyHub.Fakes.Attio.FakeAttio.StartAsync();
        _notion = await CompanyHub.Fakes.Notion.FakeNotion.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["LLM_API_KEY"] = "fake-model-key",
            ["LLM_BASE_URL"] = _model.BaseUrl,
            ["LLM_MODEL"] = "fake-model",
        };
        foreach (var (name, value) in _attio.ConfigurationValues().Concat(_notion.ConfigurationValues()))
        {
            settings[name.Replace(":", "__", StringComparison.Ordinal)] = value!;
        }

        _hub = await HubProcess.StartAsync(settings);
        Api = new HubApi(_hub.BaseUrl, _hub.AdminToken);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = Chromium.Arguments,
            Timeout = 60_000,
        });
    }

    /// <summary>A fresh browser context (its own cookies), desktop size unless told otherwise, on the shared hub or <paramref name="hub"/>.</summary>
    public async Task<IBrowserContext> NewContextAsync(int width = 1280, int height = 900, HubProcess? hub = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = (hub ?? Hub).BaseUrl.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(15_000);
        return context;
    }

    public async Task DisposeAsync()
    {
        if (_attio is not null)
        {
            await _attio.DisposeAsync();
        }

        if (_notion is not null)
        {
            await _notion.DisposeAsync();
        }

        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        Api?.Dispose();
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }

        if (_model is not null)
        {
            await _model.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class HubCollection : ICollectionFixture<HubFixture>
{
    public const string Name = "hub";
}
