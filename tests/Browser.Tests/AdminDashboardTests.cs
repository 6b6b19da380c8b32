using System.Text.RegularExpressions;
using CompanyHub.Browser.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CompanyHub.Browser.Tests;

/// <summary>The admin dashboard: the orchestrations monitor with its timeline and actions, agents, entities.</summary>
[Collection(HubCollection.Name)]
public sealed partial class AdminDashboardTests(HubFixture fixture) : IAsyncLifetime
{
    private readonly List<IBrowserContext> _contexts = [];

    static AdminDashboardTests() => SetDefaultExpectTimeout(15_000);

    [Fact]
    public async Task Admin_FindsApprovalInMonitor_OpensTimeline_TerminatesAnother()
    {
        var person = await fixture.Api.OnboardAsync("gina@company.com", "Gina Linetti");
        var approved = await fixture.Api.ProposeAsync(person, "message_agent", new { agentId = "orchestrator", text = "Status report is ready" });
        await fixture.Api.DecideAsync(person, approved, new { decision = "approve", revision = 1 });
        await fixture.Api.WaitForInstanceAsync(approved, i => i["runtimeStatus"]?.GetValue<string>() == "Completed");
        var waiting = await fixture.Api.ProposeAsync(person, "message_agent", new { agentId = "orchestrator", text = "This one will be terminated" });
        await fixture.Api.WaitForInstanceAsync(waiting, i => i["runtimeStatus"]?.GetValue<string>() == "Running");

        var page = await OpenAdminAsync();
        var errors = PageErrors.Watch(page);
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Admin sections" }).GetByRole(AriaRole.Link, new() { Name = "Orchestrations" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Orchestrations", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.Locator("#histogram-svg")).ToBeVisibleAsync();

        // Find it: filter by type and id prefix.
        var filters = page.GetByRole(AriaRole.Form, new() { Name = "Filter orchestrations" });
        await filters.GetByLabel("Type (name contains)").FillAsync("ApprovalOrchestration");
        await filters.GetByLabel("Instance id prefix").FillAsync(approved);
        await filters.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("#/orchestrations\\?.*prefix=" + approved));
        var rows = page.Locator("#instances-table tbody tr");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToHaveAttributeAsync("data-instance-id", approved);
        await Expect(rows.First).ToContainTextAsync("Completed");
        await Expect(page.Locator("#histogram-svg rect.Completed")).ToHaveCountAsync(1);

        // Without the prefix, the monitor lists the other approvals too, newest first, and draws them by status.
        await filters.GetByLabel("Instance id prefix").FillAsync("");
        await filters.GetByRole(AriaRole.Checkbox, new() { Name = "Running", Exact = true }).CheckAsync();
        await filters.GetByRole(AriaRole.Checkbox, new() { Name = "Completed", Exact = true }).CheckAsync();
        await filters.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await Expect(page.Locator($"#instances-table tr[data-instance-id='{waiting}']")).ToContainTextAsync("Running");
        await Expect(page.Locator($"#instances-table tr[data-instance-id='{approved}']")).ToBeVisibleAsync();
        await Expect(page.Locator("#histogram-svg rect.Running").First).ToBeVisibleAsync();
        await Artifacts.ScreenshotAsync(page, "admin-orchestrations", docImage: "admin-orchestrations");

        // Its timeline: every history event with its time and duration.
        await page.Locator($"#instances-table tr[data-instance-id='{approved}'] a").ClickAsync();
        await Expect(page.Locator("#instance-id")).ToHaveTextAsync(approved);
        await Expect(page.Locator("#instance-status")).ToContainTextAsync("Completed");
        var timeline = page.Locator("#timeline-table tbody tr");
        await Expect(timeline.First).ToHaveAttributeAsync("data-event", "ExecutionStarted");
        await Expect(timeline.Last).ToHaveAttributeAsync("data-event", "ExecutionCompleted");
        // The decision is one of the raised events (entity replies arrive as events named by their request id, as in
        // Microsoft's history).
        await Expect(page.Locator("#timeline-table tr[data-event='EventRaised']", new() { HasText = "ApprovalDecision" })).ToHaveCountAsync(1);
        await Expect(page.Locator("#timeline-table tr[data-event='TaskCompleted']").First).ToContainTextAsync(DurationText());
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Custom status" })).ToBeVisibleAsync();
        await Expect(page.Locator("pre[aria-label='Output']")).ToContainTextAsync("\"status\": \"succeeded\"");
        await Artifacts.ScreenshotAsync(page, "admin-instance-timeline", docImage: "admin-instance-timeline");

        // Terminate the other one from its instance page.
        var open = page.GetByRole(AriaRole.Link, new() { Name = "← Orchestrations" });
        await open.ClickAsync();
        await page.GetByLabel("Open instance by id").FillAsync(waiting);
        await page.GetByRole(AriaRole.Button, new() { Name = "Open", Exact = true }).ClickAsync();
        await Expect(page.Locator("#instance-status")).ToContainTextAsync("Running");
        await page.Locator("#instance-actions").GetByRole(AriaRole.Button, new() { Name = "Terminate" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Reason (optional)").FillAsync("Terminated by the browser test");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Terminate" }).ClickAsync();
        await Expect(page.Locator("#instance-status")).ToContainTextAsync("Terminated");
        await Expect(page.Locator("#timeline-table tr[data-event='ExecutionTerminated']")).ToBeVisibleAsync();
        await Expect(page.Locator("#timeline-table tr[data-event='ExecutionCompleted']")).ToContainTextAsync("Terminated");
        await Expect(page.Locator("pre[aria-label='Output']")).ToContainTextAsync("Terminated by the browser test");
        await Artifacts.ScreenshotAsync(page, "admin-instance-terminated");

        var status = await fixture.Api.InstanceAsync(waiting);
        Assert.Equal("Terminated", status["runtimeStatus"]!.GetValue<string>());
        errors.AssertNone();
    }

    [Fact]
    public async Task Admin_InstanceActions_SuspendResumeRaiseEventRestartPurge()
    {
        var person = await fixture.Api.OnboardAsync("nina@company.com", "Nina Simone");
        var proposal = await fixture.Api.ProposeAsync(person, "create_attio_task", new { content = "Follow up with Acme" });
        await fixture.Api.WaitForInstanceAsync(proposal, i => i["runtimeStatus"]?.GetValue<string>() == "Running");
        var page = await OpenAdminAsync("#/orchestrations/" + proposal);
        var errors = PageErrors.Watch(page);
        var actions = page.Locator("#instance-actions");
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(page.Locator("#instance-status")).ToContainTextAsync("Running");

        await actions.GetByRole(AriaRole.Button, new() { Name = "Suspend" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Suspend" }).ClickAsync();
        await Expect(page.Locator("#instance-status")).ToContainTextAsync("Suspended");
        await actions.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Expect(page.Locator("#instance-status")).ToContainTextAsync("Running");

        // Raise the decision event by hand: the approval orchestration takes it like a click on Reject.
        var raise = page.GetByRole(AriaRole.Form, new() { Name = "Raise an event" });
        await raise.Locator("summary").ClickAsync();
        await raise.GetByLabel("Event name").FillAsync("ApprovalDecision");
        await raise.GetByLabel("Event data (JSON, optional)").FillAsync("""{ "decision": "reject", "reason": "raised from the monitor", "decidedBy": "admin" }""");
        await raise.GetByRole(AriaRole.Button, new() { Name = "Raise event" }).ClickAsync();
        await Expect(page.Locator("#instance-status")).ToContainTextAsync("Completed");
        await Expect(page.Locator("pre[aria-label='Output']")).ToContainTextAsync("raised from the monitor");
        // The decision is one of the raised events (entity replies arrive as events named by their request id, as in
        // Microsoft's history).
        await Expect(page.Locator("#timeline-table tr[data-event='EventRaised']", new() { HasText = "ApprovalDecision" })).ToHaveCountAsync(1);

        await actions.GetByRole(AriaRole.Button, new() { Name = "Restart" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Restart" }).ClickAsync();
        await Expect(page.Locator("#instance-id")).Not.ToHaveTextAsync(proposal);
        var restarted = await page.Locator("#instance-id").InnerTextAsync();
        await Expect(page.Locator("pre[aria-label='Input']")).ToContainTextAsync("Follow up with Acme");

        await page.GotoAsync("/#/orchestrations/" + proposal);
        await Expect(page.Locator("#instance-status")).ToContainTextAsync("Completed");
        await actions.GetByRole(AriaRole.Button, new() { Name = "Purge" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Purge" }).ClickAsync();
        await Expect(page.Locator("main")).ToContainTextAsync($"1 instance deleted: {proposal}");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, await fixture.Api.StatusAsync(HttpMethod.Get, $"/runtime/webhooks/durabletask/instances/{proposal}", fixture.Api.AdminToken));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, await fixture.Api.StatusAsync(HttpMethod.Get, $"/runtime/webhooks/durabletask/instances/{restarted}", fixture.Api.AdminToken));
        errors.AssertNone();
    }

    [Fact]
    public async Task Admin_AgentsList_OpensAgentPage_Offboards()
    {
        var person = await fixture.Api.OnboardAsync("holt@company.com", "Raymond Holt");
        var page = await OpenAdminAsync();
        var errors = PageErrors.Watch(page);
        var row = page.Locator($"#agents-table tr[data-agent-id='{person.AgentId}']");
        await Expect(row).ToContainTextAsync("Raymond Holt");
        await Expect(row).ToContainTextAsync("active");
        await Expect(page.Locator("#agents-table tr[data-agent-id='orchestrator']")).ToContainTextAsync("Company Hub");
        await Artifacts.ScreenshotAsync(page, "admin-agents", docImage: "admin-agents");

        // Any agent's page is the person's page, seen by the admin.
        await row.GetByRole(AriaRole.Link, new() { Name = "Open Raymond Holt's page" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(Regex.Escape($"/?agent={person.AgentId}") + "$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Raymond Holt");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "← All agents" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Waiting for a decision" })).ToBeVisibleAsync();
        await Artifacts.ScreenshotAsync(page, "admin-agent-page");

        await page.GetByRole(AriaRole.Link, new() { Name = "← All agents" }).ClickAsync();
        await page.Locator($"#agents-table tr[data-agent-id='{person.AgentId}']").GetByRole(AriaRole.Button, new() { Name = "Offboard Raymond Holt" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("its link stops working");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Offboard" }).ClickAsync();
        await Expect(page.Locator("#agent-action-result")).ToContainTextAsync("was offboarded");
        await Expect(page.Locator($"#agents-table tr[data-agent-id='{person.AgentId}']")).ToContainTextAsync("disabled");

        await using var theirs = await fixture.NewContextAsync();
        var theirPage = await theirs.NewPageAsync();
        var response = await theirPage.GotoAsync(person.DashboardUrl);
        Assert.Equal(401, response!.Status);
        errors.AssertNone();
    }

    [Fact]
    public async Task Admin_Entities_ShowState_WithSecretsMasked()
    {
        var person = await fixture.Api.OnboardAsync("ivy@company.com", "Ivy Chen");
        var page = await OpenAdminAsync("#/entities?name=agent&q=" + person.AgentId);
        var errors = PageErrors.Watch(page);
        var entity = page.Locator($"li[data-entity='@agent@{person.AgentId}']");
        await entity.Locator("summary").ClickAsync();
        var state = entity.Locator("pre");
        await Expect(state).ToContainTextAsync($"\"agentId\": \"{person.AgentId}\"");
        await Expect(state).ToContainTextAsync("\"tokenHash\": \"(hidden)\"");
        await Artifacts.ScreenshotAsync(page, "admin-entities");
        errors.AssertNone();
    }

    [Fact]
    public async Task Admin_Keyboard_SkipLinkAndTabs_HaveVisibleFocus()
    {
        var page = await OpenAdminAsync();
        var errors = PageErrors.Watch(page);
        await Expect(page.Locator("#agents-table")).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" })).ToBeFocusedAsync();
        Assert.NotEqual("none", await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle"));

        // Tab to the Orchestrations section and open it with Enter.
        var orchestrations = page.GetByRole(AriaRole.Navigation, new() { Name = "Admin sections" }).GetByRole(AriaRole.Link, new() { Name = "Orchestrations" });
        for (var i = 0; i < 12 && !await orchestrations.EvaluateAsync<bool>("el => el === document.activeElement"); i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        await Expect(orchestrations).ToBeFocusedAsync();
        Assert.NotEqual("none", await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle"));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Orchestrations", Level = 1 })).ToBeVisibleAsync();
        await Expect(orchestrations).ToHaveAttributeAsync("aria-current", "page");
        errors.AssertNone();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.DisposeAsync();
        }
    }

    private async Task<IPage> OpenAdminAsync(string hash = "")
    {
        var context = await fixture.NewContextAsync();
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        await page.GotoAsync(fixture.Hub.Link(fixture.Api.AdminToken) + hash);
        await Expect(page).ToHaveURLAsync(fixture.Hub.BaseUrl + hash);
        await Expect(page.Locator("#who")).ToHaveTextAsync("Signed in as the admin");
        return page;
    }

    [GeneratedRegex(@"\d+(\.\d)? (ms|s)")]
    private static partial Regex DurationText();
}
