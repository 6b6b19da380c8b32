using CompanyHub.Integrations.Attio;
using CompanyHub.Integrations.Google;
using CompanyHub.Integrations.Google.Calendar;
using CompanyHub.Integrations.Google.Gmail;
using CompanyHub.Integrations.Notion;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CompanyHub.Integrations.Tests;

public sealed class AddIntegrationsTests
{
    [Fact]
    public async Task AddIntegrations_DeploymentNames_ConfigureEveryClient()
    {
        await using var host = new ClientHost(
        [
            new("GOOGLE_CLIENT_ID", "id.apps.googleusercontent.com"),
            new("GOOGLE_CLIENT_SECRET", "secret"),
            new("GOOGLE_CALENDAR", "true"),
            new("NOTION_API_KEY", "ntn_key"),
            new("ATTIO_API_KEY", "attio_key"),
        ]);

        Assert.True(host.Get<IGoogleOAuthClient>().IsConfigured);
        Assert.True(host.Get<IGmailClient>().IsConfigured);
        Assert.True(host.Get<ICalendarClient>().IsConfigured);
        Assert.True(host.Get<INotionClient>().IsConfigured);
        Assert.True(host.Get<IAttioClient>().IsConfigured);
        var google = host.Get<IOptions<GoogleOptions>>().Value;
        Assert.Equal("id.apps.googleusercontent.com", google.ClientId);
        Assert.Equal("https://accounts.google.com/o/oauth2/v2/auth", google.AuthorizationEndpoint);
        Assert.Equal("https://oauth2.googleapis.com/token", google.TokenEndpoint);
        Assert.Equal("https://openidconnect.googleapis.com/v1/userinfo", google.UserInfoEndpoint);
        Assert.Equal("https://gmail.googleapis.com", google.GmailBaseUrl);
        Assert.Equal("https://www.googleapis.com/calendar/v3", google.CalendarBaseUrl);
        Assert.Equal("https://api.notion.com", host.Get<IOptions<NotionOptions>>().Value.BaseUrl);
        Assert.Equal("2025-09-03", host.Get<IOptions<NotionOptions>>().Value.Version);
        Assert.Equal("https://api.attio.com", host.Get<IOptions<AttioOptions>>().Value.BaseUrl);
    }

    [Fact]
    public async Task AddIntegrations_NothingSet_ClientsResolveButAreOff()
    {
        await using var host = new ClientHost([]);

        Assert.False(host.Get<IGoogleOAuthClient>().IsConfigured);
        Assert.False(host.Get<IGmailClient>().IsConfigured);
        Assert.False(host.Get<ICalendarClient>().IsConfigured);
        Assert.False(host.Get<INotionClient>().IsConfigured);
        Assert.False(host.Get<IAttioClient>().IsConfigured);
    }

    [Fact]
    public async Task AddIntegrations_GoogleWithoutGoogleCalendar_CalendarIsOn()
    {
        await using var host = new ClientHost([new("GOOGLE_CLIENT_ID", "id"), new("GOOGLE_CLIENT_SECRET", "secret")]);

        Assert.True(host.Get<IOptions<GoogleOptions>>().Value.CalendarEnabled);
        Assert.True(host.Get<ICalendarClient>().IsConfigured);
    }

    [Fact]
    public void BindGoogle_SectionSetsEndpointsAndFlatNamesWin()
    {
        var configuration = Configuration(
            ("Google:ClientId", "from-section"),
            ("Google:ClientSecret", "section-secret"),
            ("Google:TokenEndpoint", "http://127.0.0.1:9/token"),
            ("Google:RequestTimeout", "00:00:07"),
            ("Google:CalendarEnabled", "true"),
            ("GOOGLE_CLIENT_ID", "from-environment"),
            ("GOOGLE_CALENDAR", "off"));
        var options = new GoogleOptions();

        IntegrationsServiceCollectionExtensions.BindGoogle(configuration, options);

        Assert.Equal("from-environment", options.ClientId);
        Assert.Equal("section-secret", options.ClientSecret);
        Assert.Equal("http://127.0.0.1:9/token", options.TokenEndpoint);
        Assert.Equal(TimeSpan.FromSeconds(7), options.RequestTimeout);
        Assert.False(options.CalendarEnabled);
    }

    [Fact]
    public void BindNotion_EmptyEnvironmentValue_DoesNotCount()
    {
        var configuration = Configuration(("NOTION_API_KEY", ""), ("Notion:ApiKey", "section-key"), ("Notion:Version", "2022-06-28"));
        var options = new NotionOptions();

        IntegrationsServiceCollectionExtensions.BindNotion(configuration, options);

        Assert.Equal("section-key", options.ApiKey);
        Assert.False(options.UsesDataSources);
    }

    [Fact]
    public void BindAttio_EnvironmentKey_IsTrimmed()
    {
        var options = new AttioOptions();
        IntegrationsServiceCollectionExtensions.BindAttio(Configuration(("ATTIO_API_KEY", " key \n")), options);
        Assert.Equal("key", options.ApiKey);
    }

    [Fact]
    public void BindGoogle_CalendarFlagNotABoolean_SaysWhatIsExpected()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => IntegrationsServiceCollectionExtensions.BindGoogle(Configuration(("GOOGLE_CALENDAR", "maybe")), new GoogleOptions()));
        Assert.Equal("GOOGLE_CALENDAR must be true or false, not 'maybe'.", ex.Message);
    }

    [Fact]
    public async Task AddIntegrations_RequestTimeout_IsAppliedToTheTypedHttpClients()
    {
        // The timeout is observable through a call that outlives it; see GmailClientTests for that. Here: it binds per service.
        await using var host = new ClientHost([new("Notion:RequestTimeout", "00:00:03"), new("Attio:RequestTimeout", "00:00:04")]);
        Assert.Equal(TimeSpan.FromSeconds(3), host.Get<IOptions<NotionOptions>>().Value.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(4), host.Get<IOptions<AttioOptions>>().Value.RequestTimeout);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();
}
