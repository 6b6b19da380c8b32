using CompanyHub.Browser.Tests.Infrastructure;
using CompanyHub.Fakes.Google;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CompanyHub.Browser.Tests;

/// <summary>The person's "Reconnect Google": the banner for access not granted, the button, Google's consent and back.</summary>
[Collection(HubCollection.Name)]
public sealed class GoogleReconnectDashboardTests(HubFixture fixture)
{
    private const string DriveReadonly = "https://www.googleapis.com/auth/drive.readonly";

    static GoogleReconnectDashboardTests() => SetDefaultExpectTimeout(15_000);

    [Fact]
    public async Task Person_SeesTheBannerForAScopeNotGranted_ClicksReconnectGoogle_ComesBackWithItGranted()
    {
        // Drive is on; at the first sign-in the person unticks Drive at Google.
        await using var google = await FakeGoogle.StartAsync();
        var settings = GoogleOnboarding.HubSettings(google);
        settings["GOOGLE_DRIVE"] = "true";
        await using var hub = await HubProcess.StartAsync(settings);
        google.DeclinedScopes.Add(DriveReadonly);
        var (_, token) = await GoogleOnboarding.OnboardAsync(hub, google, "alice@company.com", "Alice Drive");
        google.DeclinedScopes.Clear();

        await using var context = await fixture.NewContextAsync(hub: hub);
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);
        await page.GotoAsync(hub.Link(token));
        var panel = page.Locator("#google-connection");
        await Expect(panel).ToContainTextAsync("Reconnect Google");
        await Expect(panel).ToContainTextAsync("drive.readonly");
        await Artifacts.ScreenshotAsync(page, "google-reconnect-banner");

        // The button goes to Google (the fake approves at once) and Google comes back to the hub's callback in this browser.
        await panel.GetByRole(AriaRole.Button, new() { Name = "Reconnect Google" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Google reconnected");
        Assert.Contains(DriveReadonly, google.Authorizations[^1].Parameters["scope"].Split(' '));

        await page.GotoAsync(hub.Link(token));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Alice Drive");
        await Expect(panel.Locator(".notice")).ToHaveCountAsync(0);
        await Expect(panel.GetByRole(AriaRole.Button, new() { Name = "Reconnect Google" })).ToBeVisibleAsync();
        errors.AssertNone();
    }
}
