using CompanyHub.Browser.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CompanyHub.Browser.Tests;

/// <summary>
/// Audit log, broadcast and health. Their admin endpoints come with another change; until the hub has them, each test
/// checks that its page says so clearly and is reported as skipped (never as passed).
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

    [HubFact]
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
        await SkipIfMissingAsync(page, list, "GET /api/admin/audit", "admin-audit-not-available");

        await Expect(page.Locator("#audit-table")).ToContainTextAsync("proposal.created");
        await Expect(page.Locator("#audit-table tbody tr").First).ToContainTextAsync(person.AgentId);
        await Artifacts.ScreenshotAsync(page, "admin-audit", docImage: "admin-audit");
        errors.AssertNone();
    }

    [HubFact]
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
        await SkipIfMissingAsync(page, status, "POST /api/admin/broadcast", "admin-broadcast-not-available");

        await Expect(status).ToContainTextAsync("Sent to");
        await Artifacts.ScreenshotAsync(page, "admin-broadcast");
        errors.AssertNone();
    }

    [HubFact]
    public async Task Admin_Health_ShowsStoreQueuesAndCredentials()
    {
        var page = await OpenAsync("#/health");
        var errors = PageErrors.Watch(page);
        await Expect(page.Locator("#probes")).ToContainTextAsync("/healthz");
        await Expect(page.Locator("#probes .badge.ok")).ToHaveCountAsync(2);
        await Expect(page.Locator("#probes [data-status='Running'] .value")).ToHaveTextAsync(CountText());
        var report = page.Locator("#health");
        await Expect(report).Not.ToBeEmptyAsync();
        await SkipIfMissingAsync(page, report, "GET /api/admin/health", "admin-health-not-available");

        await Expect(page.Locator("#credentials")).ToContainTextAsync("LLM");
        await Expect(page.Locator("#credentials")).ToContainTextAsync("not configured");
        await Artifacts.ScreenshotAsync(page, "admin-health", docImage: "admin-health");
        errors.AssertNone();
    }

    private async Task<IPage> OpenAsync(string hash)
    {
        var page = await _context!.NewPageAsync();
        await page.GotoAsync(fixture.Hub.Link(fixture.Api.AdminToken) + hash);
        await Expect(page.Locator("#who")).ToHaveTextAsync("Signed in as the admin");
        return page;
    }

    /// <summary>When the page reports the endpoint missing (a 404 with no problem body), keeps the evidence and skips, saying why.</summary>
    private static async Task SkipIfMissingAsync(IPage page, ILocator region, string endpoint, string screenshot)
    {
        var text = await region.InnerTextAsync();
        if (text.Contains($"does not offer {endpoint} yet", StringComparison.Ordinal))
        {
            await Artifacts.ScreenshotAsync(page, screenshot);
            throw new NotOnThisHubException($"{endpoint} answered 404: it is not on this hub yet. The page says so clearly (tests/artifacts/{screenshot}.png); the rest of this test did not run.");
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d+\+?$")]
    private static partial System.Text.RegularExpressions.Regex CountText();
}
