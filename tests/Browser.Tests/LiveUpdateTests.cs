using CompanyHub.Browser.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CompanyHub.Browser.Tests;

/// <summary>
/// The dashboards follow the hub's event streams: a proposal made elsewhere (here through the API) appears on the
/// person's page and on the admin's monitor without a reload, and the pages go on after their stream drops.
/// </summary>
[Collection(HubCollection.Name)]
public sealed class LiveUpdateTests(HubFixture fixture)
{
    static LiveUpdateTests() => SetDefaultExpectTimeout(15_000);

    [Fact]
    public async Task Proposal_AppearsOnThePersonsPage_AndOnTheAdminMonitor_WithoutAReload()
    {
        var person = await fixture.Api.OnboardAsync("liv.live@company.com", "Liv Live");
        await using var personContext = await fixture.NewContextAsync();
        var personPage = await personContext.NewPageAsync();
        var personErrors = PageErrors.Watch(personPage);
        await personPage.GotoAsync(person.DashboardUrl);
        await Expect(personPage.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Liv Live");
        await Expect(personPage.Locator("body")).ToHaveAttributeAsync("data-live", "open");

        await using var adminContext = await fixture.NewContextAsync();
        var monitor = await adminContext.NewPageAsync();
        var adminErrors = PageErrors.Watch(monitor);
        await monitor.GotoAsync(fixture.Hub.Link(fixture.Api.AdminToken) + "#/orchestrations?type=ApprovalOrchestration");
        await Expect(monitor.GetByRole(AriaRole.Heading, new() { Name = "Orchestrations", Level = 1 })).ToBeVisibleAsync();
        await Expect(monitor.Locator("body")).ToHaveAttributeAsync("data-live", "open");
        await personPage.EvaluateAsync("() => { window.__sameDocument = true; }");
        await monitor.EvaluateAsync("() => { window.__sameDocument = true; }");

        var proposalId = await fixture.Api.ProposeAsync(person, "create_attio_task", new { content = "Prepare the live demo" });

        var card = personPage.Locator($"article.proposal[data-proposal-id='{proposalId}']");
        await Expect(card).ToContainTextAsync("Create Attio Task");
        await Expect(card).ToContainTextAsync("Prepare the live demo");
        await Expect(personPage.Locator("#open-h .badge")).ToHaveTextAsync("1");
        await Expect(monitor.Locator($"#instances-table tr[data-instance-id='{proposalId}']")).ToContainTextAsync("Running");

        // Decided elsewhere: both pages show it, still without a reload.
        await fixture.Api.DecideAsync(person, proposalId, new { decision = "reject", revision = 1, reason = "done by hand" });
        await Expect(card.Locator(".result")).ToContainTextAsync("done by hand");
        await Expect(personPage.Locator("#decided-proposals")).ToContainTextAsync("Prepare the live demo");
        await Expect(monitor.Locator($"#instances-table tr[data-instance-id='{proposalId}']")).ToContainTextAsync("Completed");
        Assert.True(await personPage.EvaluateAsync<bool>("() => window.__sameDocument === true"), "The person's page reloaded.");
        Assert.True(await monitor.EvaluateAsync<bool>("() => window.__sameDocument === true"), "The monitor reloaded.");
        personErrors.AssertNone();
        adminErrors.AssertNone();
    }

    [Fact]
    public async Task AdminAgentsPage_ShowsAProposalWaiting_WithoutAReload()
    {
        var person = await fixture.Api.OnboardAsync("wade@company.com", "Wade Waiting");
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);
        await page.GotoAsync(fixture.Hub.Link(fixture.Api.AdminToken) + "#/agents");
        var row = page.Locator($"#agents-table tr[data-agent-id='{person.AgentId}']");
        await Expect(row).ToContainTextAsync("none");
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-live", "open");

        await fixture.Api.ProposeAsync(person, "create_attio_task", new { content = "Count me as waiting" });

        await Expect(row).ToContainTextAsync("1 proposal");
        errors.AssertNone();
    }

    [Fact]
    public async Task PersonsPage_KeepsUpdating_AfterTheHubClosesItsStream()
    {
        var person = await fixture.Api.OnboardAsync("rhea@company.com", "Rhea Reconnect");
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);
        await page.GotoAsync(person.DashboardUrl);
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-live", "open");
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");

        // The person gets a new link: the hub ends the stream opened with the old token; the browser, whose cookie
        // moved to the new token, reconnects by itself.
        await page.GetByRole(AriaRole.Button, new() { Name = "Get a new link" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Make a new link" }).ClickAsync();
        await Expect(page.GetByText("New link made")).ToBeVisibleAsync();

        var proposalId = await fixture.Api.ProposeAsAdminAsync(person.AgentId, "create_attio_task", new { content = "After the new link" });
        await Expect(page.Locator($"article.proposal[data-proposal-id='{proposalId}']")).ToContainTextAsync("After the new link");
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-live", "open");
        Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "The page reloaded.");
        errors.AssertNone();
    }
}
