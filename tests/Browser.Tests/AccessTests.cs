using System.Text.RegularExpressions;
using CompanyHub.Browser.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CompanyHub.Browser.Tests;

/// <summary>Who sees what: the admin link, a person's link, no link, a bad link.</summary>
[Collection(HubCollection.Name)]
public sealed class AccessTests(HubFixture fixture)
{
    static AccessTests() => SetDefaultExpectTimeout(15_000);

    [Fact]
    public async Task AdminLink_PrintedAtStartup_MatchesMasterKey_TokenLeavesAddressBar()
    {
        Assert.Equal(fixture.Hub.Link(fixture.Hub.AdminToken), fixture.Hub.PrintedAdminLink);
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);
        await page.GotoAsync(fixture.Hub.PrintedAdminLink);
        await Expect(page).ToHaveURLAsync(fixture.Hub.BaseUrl.ToString());
        await Expect(page.Locator("#who")).ToHaveTextAsync("Signed in as the admin");
        var sections = page.GetByRole(AriaRole.Navigation, new() { Name = "Admin sections" }).GetByRole(AriaRole.Link);
        await Expect(sections).ToHaveTextAsync(["Agents", "Onboarding", "Orchestrations", "Entities", "Grants", "Audit log", "Broadcast", "Knowledge", "Personas", "Health"]);
        errors.AssertNone();
    }

    [Fact]
    public async Task UserToken_CannotSeeAdminPages()
    {
        var person = await fixture.Api.OnboardAsync("jake@company.com", "Jake Peralta");
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);

        // An admin address opened with a person's link: their own page, a clear notice, no admin navigation.
        await page.GotoAsync(person.DashboardUrl + "#/orchestrations");
        await Expect(page.Locator("#admin-only")).ToContainTextAsync("The admin pages need the admin link.");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Jake Peralta");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Admin sections" })).ToBeHiddenAsync();
        await Expect(page.Locator("#orchestration-filters")).ToHaveCountAsync(0);
        await Artifacts.ScreenshotAsync(page, "user-admin-page-refused");

        // Another agent's page.
        await page.GotoAsync("/?agent=orchestrator");
        await Expect(page.Locator("#admin-only")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Jake Peralta");

        // And the APIs behind the admin pages, called from this page with this cookie: 404, never the data.
        var statuses = await page.EvaluateAsync<int[]>("""
            async () => Promise.all([
              ['GET', '/runtime/webhooks/durabletask/instances'],
              ['GET', '/runtime/webhooks/durabletask/entities'],
              ['GET', '/api/agents/orchestrator'],
              ['DELETE', '/api/agents/orchestrator'],
              ['POST', '/api/agents/orchestrator/token/rotate'],
            ].map(async ([method, url]) => (await fetch(url, { method })).status))
            """);
        Assert.All(statuses, status => Assert.Equal(404, status));
        var visible = await page.EvaluateAsync<string[]>("async () => (await (await fetch('/api/agents')).json()).map(a => a.agentId)");
        Assert.Equal([person.AgentId], visible);
        errors.AssertNone();
    }

    [Fact]
    public async Task NoLinkOrBadLink_ExplainsHowToGetANewOne()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);

        await page.GotoAsync("/");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Your dashboard link is missing or has expired");
        await Expect(page.Locator("main")).ToContainTextAsync("ask your admin for a new one");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Admin sections" })).ToBeHiddenAsync();
        await Artifacts.ScreenshotAsync(page, "no-link");

        var response = await page.GotoAsync("/?token=" + new string('x', 32));
        Assert.Equal(401, response!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("This link does not work");
        await Expect(page.Locator("body")).ToContainTextAsync(new Regex("ask your admin for a new one"));
        await Artifacts.ScreenshotAsync(page, "bad-link");
        errors.AssertNone();
    }
}
