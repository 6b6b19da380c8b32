using CompanyHub.Browser.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CompanyHub.Browser.Tests;

/// <summary>The persona and memory panels of a person's dashboard, and the admin's Knowledge and Personas sections.</summary>
[Collection(HubCollection.Name)]
public sealed class PersonaKnowledgeDashboardTests(HubFixture fixture)
{
    static PersonaKnowledgeDashboardTests() => SetDefaultExpectTimeout(15_000);

    [Fact]
    public async Task Person_EditsAndRestoresTheirPersona_AndDeletesWhatTheAgentRemembered()
    {
        var person = await fixture.Api.OnboardAsync("rosa@company.com", "Rosa Diaz");
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);
        await page.GotoAsync(person.DashboardUrl);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Rosa Diaz");

        var persona = page.Locator("section", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Persona" }) });
        await Expect(persona).ToContainTextAsync("the company default applies");
        await persona.GetByLabel("Tone").FillAsync("Dry and precise.");
        await persona.GetByLabel("Standing instructions").FillAsync("Answer in bullet points.");
        await persona.GetByRole(AriaRole.Button, new() { Name = "Save as a new version" }).ClickAsync();
        await Expect(persona).ToContainTextAsync("Version 1, saved by user:" + person.AgentId);
        await persona.GetByLabel("Standing instructions").FillAsync("Answer in one sentence.");
        await persona.GetByRole(AriaRole.Button, new() { Name = "Save as a new version" }).ClickAsync();
        await Expect(persona).ToContainTextAsync("Version 2");
        await persona.GetByText("Earlier versions (2)").ClickAsync();
        await persona.GetByRole(AriaRole.Button, new() { Name = "Restore version 1" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Restore" }).ClickAsync();
        await Expect(persona).ToContainTextAsync("Version 3");
        await Expect(persona).ToContainTextAsync("restores version 1");
        await Expect(persona.GetByLabel("Standing instructions")).ToHaveValueAsync("Answer in bullet points.");

        // The agent remembers what Rosa asks it to; the panel shows it after a reload and deletes it.
        var box = page.GetByLabel("Message to your agent");
        await box.FillAsync(FakeModel.RememberThat + "Rosa's standup is at 9:15.");
        await box.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.List, new() { Name = "Conversation" }).Locator("li.msg.assistant").Last).ToContainTextAsync(FakeModel.Noted);
        await page.ReloadAsync();
        var memory = page.Locator("section", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Memory" }) });
        await Expect(memory).ToContainTextAsync("Rosa's standup is at 9:15.");
        await memory.GetByRole(AriaRole.Button, new() { Name = "Forget: Rosa's standup is at 9:15." }).ClickAsync();
        await Expect(memory).ToContainTextAsync("Nothing remembered.");
        errors.AssertNone();
    }

    [Fact]
    public async Task Admin_AddsAKnowledgePage_FindsItAsTheAgentsWould_AndEditsTheDefaultPersona()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);
        await page.GotoAsync(fixture.Hub.Link(fixture.Api.AdminToken) + "#/knowledge");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Knowledge", Level = 1 })).ToBeVisibleAsync();

        var editor = page.GetByRole(AriaRole.Form, new() { Name = "Knowledge page" });
        await editor.GetByLabel("Title").FillAsync("Parking");
        await editor.GetByLabel("Text (Markdown welcome)").FillAsync("Visitors park on level -2; ask reception for a ticket.");
        await editor.GetByRole(AriaRole.Button, new() { Name = "Add page" }).ClickAsync();
        await Expect(page.Locator("#knowledge-status")).ToContainTextAsync("Page added.");
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "Parking" })).ToBeVisibleAsync();

        var search = page.GetByRole(AriaRole.Search, new() { Name = "Search the knowledge base" });
        await search.GetByLabel("Search as the agents do").FillAsync("visitor tickets");
        await search.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(search.Locator("li")).ToContainTextAsync("Parking");

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Admin sections" }).GetByRole(AriaRole.Link, new() { Name = "Personas" }).ClickAsync();
        var defaults = page.Locator("section", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Default for agents" }) });
        await defaults.GetByLabel("Standing instructions").FillAsync("Sign off with the company name.");
        await defaults.GetByRole(AriaRole.Button, new() { Name = "Save as a new version" }).ClickAsync();
        await Expect(defaults).ToContainTextAsync("Version 1, saved by admin");
        var orchestrator = page.Locator("section", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Orchestrator" }) });
        await Expect(orchestrator.GetByLabel("Standing instructions")).ToHaveAttributeAsync("placeholder", new System.Text.RegularExpressions.Regex("Onboarding"));
        errors.AssertNone();
    }

    [Fact]
    public async Task Admin_SyncsANotionDatabase_AndSeesTheSyncCompleteWithItsCounts()
    {
        var handbook = fixture.Notion.AddDatabase("Browser handbook");
        fixture.Notion.AddDatabasePage(handbook.Id, "Bike shed", null, "Bicycles go in the courtyard shed, code 4512.");
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);
        await page.GotoAsync(fixture.Hub.Link(fixture.Api.AdminToken) + "#/knowledge");

        var sync = page.GetByRole(AriaRole.Form, new() { Name = "Sync a Notion database" });
        await sync.GetByLabel("Notion database").FillAsync(handbook.Id);
        await sync.GetByRole(AriaRole.Button, new() { Name = "Sync now" }).ClickAsync();
        await Expect(page.Locator("#knowledge-status")).ToContainTextAsync($"Sync of {handbook.Id} started.");

        // The sync's row turns completed with its counts; the synced page appears in the list of pages.
        var row = page.Locator("#knowledge-syncs tr", new() { HasText = handbook.Id });
        await Expect(row).ToContainTextAsync("completed");
        await Expect(row.GetByRole(AriaRole.Cell).Nth(6)).ToHaveTextAsync("1");
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "Bike shed" })).ToBeVisibleAsync();
        errors.AssertNone();
    }
}
