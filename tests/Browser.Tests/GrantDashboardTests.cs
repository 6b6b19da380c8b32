using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CompanyHub.Browser.Tests.Infrastructure;
using CompanyHub.Fakes.Google;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CompanyHub.Browser.Tests;

/// <summary>
/// Standing grants on the person's dashboard: create one, watch an email it approved in its undo window, undo it; and on
/// the admin's grants page: set a ceiling, see a person's grant arrive live, revoke it.
/// </summary>
[Collection(HubCollection.Name)]
public sealed partial class GrantDashboardTests(HubFixture fixture)
{
    static GrantDashboardTests() => SetDefaultExpectTimeout(15_000);

    [Fact]
    public async Task Person_CreatesAGrant_SeesAnAutoApprovedEmailInItsUndoWindow_AndUndoesIt()
    {
        // Email needs Google: a hub of its own, pointed at fake Google, with an undo window longer than the test.
        await using var google = await FakeGoogle.StartAsync();
        var settings = GoogleOnboarding.HubSettings(google);
        settings["Grants__UndoSeconds"] = "3600";
        await using var hub = await HubProcess.StartAsync(settings);
        var (agentId, token) = await GoogleOnboarding.OnboardAsync(hub, google, "alice@company.com", "Alice Grant");

        await using var context = await fixture.NewContextAsync(hub: hub);
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);
        await page.GotoAsync(hub.Link(token));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Alice Grant");

        // The grant: emails to acme.com, five a day.
        var panel = page.Locator("section", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Standing grants" }) });
        await Expect(panel).ToContainTextAsync("No grants");
        await panel.GetByText("New grant").ClickAsync();
        await panel.GetByLabel("Action").SelectOptionAsync("send_email");
        await panel.GetByLabel("Recipient domains").FillAsync("acme.com");
        await panel.GetByLabel("At most per day").FillAsync("5");
        await panel.GetByRole(AriaRole.Button, new() { Name = "Grant", Exact = true }).ClickAsync();
        await Expect(panel.GetByRole(AriaRole.Status)).ToContainTextAsync(GrantCreated());
        var item = panel.Locator("#grants-list li");
        await Expect(item).ToContainTextAsync("Send Email");
        await Expect(item).ToContainTextAsync("domains: acme.com");
        await Expect(item).ToContainTextAsync("0 of 5 used today");
        var grantId = await item.GetAttributeAsync("data-grant-id");
        Assert.NotNull(grantId);

        // The agent's email to acme.com runs under it: held, cancellable, on the page without a reload.
        using var http = new HttpClient { BaseAddress = hub.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var proposed = await http.PostAsJsonAsync($"/api/agents/{agentId}/proposals", new { type = "send_email", payload = new { to = "sarah@acme.com", subject = "Weekly numbers", body = "Attached." } });
        Assert.Equal(HttpStatusCode.Accepted, proposed.StatusCode);
        var card = page.Locator("article.proposal", new() { HasText = "Weekly numbers" });
        await Expect(card).ToHaveClassAsync(HeldClass());
        await Expect(card.Locator(".result")).ToContainTextAsync($"Auto-approved under grant {grantId}");
        await Expect(card.Locator(".result")).ToContainTextAsync("unless you undo it");
        await Expect(card.GetByRole(AriaRole.Button, new() { Name = "Approve" })).ToHaveCountAsync(0);
        await Artifacts.ScreenshotAsync(page, "grant-undo-window");

        await card.GetByRole(AriaRole.Button, new() { Name = "Undo" }).ClickAsync();
        await Expect(card).ToHaveClassAsync(CancelledClass());
        await Expect(card.Locator(".result")).ToContainTextAsync("undone by");
        await Expect(item).ToContainTextAsync("1 of 5 used today");
        Assert.Empty(google.SentEmails);
        Assert.Equal(0, google.CallCount(GoogleEndpoints.GmailSend));
        errors.AssertNone();
    }

    [Fact]
    public async Task Admin_SetsACeilingOnTheGrantsPage_SeesAPersonsGrantArriveLive_AndRevokesIt()
    {
        var person = await fixture.Api.OnboardAsync("grant.ceiling@company.com", "Grant Ceiling");
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);
        await page.GotoAsync(fixture.Hub.Link(fixture.Api.AdminToken));
        await Expect(page.Locator("#who")).ToHaveTextAsync("Signed in as the admin");
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Admin sections" }).GetByRole(AriaRole.Link, new() { Name = "Grants" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Grants", Level = 1 })).ToBeVisibleAsync();

        // The ceiling: Attio tasks under a grant, at most 3 a day.
        var ceiling = page.Locator("#grant-ceilings li[data-ceiling-type='create_attio_task']");
        await Expect(ceiling).ToContainTextAsync("no ceiling");
        await ceiling.Locator("summary").ClickAsync();
        await ceiling.GetByLabel("At most per day").FillAsync("3");
        await ceiling.GetByRole(AriaRole.Button, new() { Name = "Set ceiling" }).ClickAsync();
        await Expect(page.Locator("#grants-status")).ToContainTextAsync("Ceiling for create_attio_task set.");
        await Expect(ceiling.Locator(".ceiling-summary")).ToContainTextAsync("at most 3 a day");

        // The person's grants: one beyond the ceiling is refused; one within it appears on the open page without a reload.
        using var http = new HttpClient { BaseAddress = fixture.Hub.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", person.Token);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync($"/api/agents/{person.AgentId}/grants", new { type = "create_attio_task", maxPerDay = 5 })).StatusCode);
        var created = await http.PostAsJsonAsync($"/api/agents/{person.AgentId}/grants", new { type = "create_attio_task", maxPerDay = 2 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var grantId = (await created.Content.ReadFromJsonAsync<JsonObject>())!["grantId"]!.GetValue<string>();
        var row = page.Locator($"#admin-grants tr[data-grant-id='{grantId}']");
        await Expect(row).ToContainTextAsync(person.AgentId);
        await Expect(row).ToContainTextAsync("Create Attio Task");
        await Expect(row).ToContainTextAsync("0 / 2");
        await Expect(row).ToContainTextAsync("active");
        await Artifacts.ScreenshotAsync(page, "admin-grants");

        await row.GetByRole(AriaRole.Button, new() { Name = $"Revoke grant {grantId}" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(row).ToContainTextAsync("revoked");
        Assert.Equal("revoked", (await http.GetFromJsonAsync<JsonArray>($"/api/agents/{person.AgentId}/grants"))!.Single()!["status"]!.GetValue<string>());

        // Clearing the ceiling leaves none.
        await ceiling.Locator("summary").ClickAsync();
        await ceiling.GetByRole(AriaRole.Button, new() { Name = "Clear ceiling" }).ClickAsync();
        await Expect(ceiling.Locator(".ceiling-summary")).ToContainTextAsync("no ceiling");
        errors.AssertNone();
    }

    [GeneratedRegex(@"Grant g-[0-9a-f]{12} created")]
    private static partial Regex GrantCreated();

    [GeneratedRegex(@"\bheld\b")]
    private static partial Regex HeldClass();

    [GeneratedRegex(@"\bcancelled\b")]
    private static partial Regex CancelledClass();
}
