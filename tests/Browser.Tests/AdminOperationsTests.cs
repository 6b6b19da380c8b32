using CompanyHub.Browser.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CompanyHub.Browser.Tests;

/// <summary>
/// Audit log, broadcast and health, through the admin pages.
/// </summary>
[Collection(HubCollection.Name)]
public sealed partial class AdminOperationsTests(HubFixture fixture) : IAsyncLifetime
{
    private IBrowserContext? _context;

    static AdminOperationsTests() => SetDefaultExpectTimeout(15_000);

    public async Task InitializeAsync() => _context = await fixture.NewContextAsync();

    public async Task DisposeAsync()
    {
        if (_context is not null)
        {
            await _context.DisposeAsync();
        }
    }

    [Fact]
    public async Task Admin_AuditLog_FiltersByAgent()
    {
        var person = await fixture.Api.OnboardAsync("lena@company.com", "Lena Oxton");
        var proposal = await fixture.Api.ProposeAsync(person, "create_attio_task", new { content = "Send the contract" });
        await fixture.Api.WaitForInstanceAsync(proposal, i => i["customStatus"] is not null);
        var page = await OpenAsync($"#/audit?agentId={person.AgentId}");
        var errors = PageErrors.Watch(page);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Audit log", Level = 1 })).ToBeVisibleAsync();
        var list = page.Locator("#audit-list");
        await Expect(list).Not.ToBeEmptyAsync();

        await Expect(page.Locator("#audit-table")).ToContainTextAsync("proposal.created");
        await Expect(page.Locator("#audit-table tbody tr").First).ToContainTextAsync(person.AgentId);
        await Artifacts.ScreenshotAsync(page, "admin-audit", docImage: "admin-audit");
        errors.AssertNone();
    }

    [Fact]
    public async Task Admin_Broadcast_ReachesEveryAgent()
    {
        await fixture.Api.OnboardAsync("mona@company.com", "Mona Lisa");
        var page = await OpenAsync("#/broadcast");
        var errors = PageErrors.Watch(page);
        await page.GetByLabel("Message", new() { Exact = true }).FillAsync("The office is closed on Friday.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send to all agents" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        var status = page.Locator("#broadcast-status");
        await Expect(status).Not.ToBeEmptyAsync();

        await Expect(status).ToContainTextAsync("Sent to");
        await Artifacts.ScreenshotAsync(page, "admin-broadcast");
        errors.AssertNone();
    }

    [Fact]
    public async Task Admin_Health_ShowsStoreQueuesAndCredentials()
    {
        var page = await OpenAsync("#/health");
        var errors = PageErrors.Watch(page);
        await Expect(page.Locator("#probes")).ToContainTextAsync("/healthz");
        await Expect(page.Locator("#probes .badge.ok")).ToHaveCountAsync(2);
        await Expect(page.Locator("#probes [data-status='Running'] .value")).ToHaveTextAsync(CountText());
        var report = page.Locator("#health");
        await Expect(report).Not.ToBeEmptyAsync();

        await Expect(page.Locator("#credentials")).ToContainTextAsync("LLM");
        await Expect(page.Locator("#credentials")).ToContainTextAsync("not configured");
        await Expect(page.Locator("#backups-off")).ToContainTextAsync("Backups are off. Set S3_BUCKET");
        await Expect(page.Locator("#backup-now")).ToBeHiddenAsync();
        await Expect(page.Locator("#dev-sign-in")).ToContainTextAsync("on (loopback only)");
        await Expect(page.Locator("#dev-sign-in-warning")).ToHaveCountAsync(0);
        await Artifacts.ScreenshotAsync(page, "admin-health", docImage: "admin-health");
        errors.AssertNone();
    }

    [Fact]
    public async Task Admin_Health_WarnsWhenTheDevelopmentSignInIsOnBeyondLoopback()
    {
        await using var hub = await HubProcess.StartAsync(new Dictionary<string, string> { ["Auth__DevSignIn"] = "true" }, everyAddress: true);
        await using var context = await fixture.NewContextAsync(hub: hub);
        var page = await context.NewPageAsync();
        await page.GotoAsync(hub.Link(hub.AdminToken) + "#/health");
        await Expect(page.Locator("#who")).ToHaveTextAsync("Signed in as the admin");
        var errors = PageErrors.Watch(page);

        var warning = page.Locator("#dev-sign-in-warning [role=alert]");
        await Expect(warning).ToContainTextAsync("Development sign-in is on beyond loopback");

        await Expect(warning).ToContainTextAsync("Auth:DevSignIn=true");
        await Expect(page.Locator("#dev-sign-in .badge.bad")).ToHaveTextAsync("ON beyond loopback");
        await Artifacts.ScreenshotAsync(page, "admin-health-dev-sign-in");
        errors.AssertNone();
    }

    private async Task<IPage> OpenAsync(string hash)
    {
        var page = await _context!.NewPageAsync();
        await page.GotoAsync(fixture.Hub.Link(fixture.Api.AdminToken) + hash);
        await Expect(page.Locator("#who")).ToHaveTextAsync("Signed in as the admin");
        return page;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d+\+?$")]
    private static partial System.Text.RegularExpressions.Regex CountText();
}
