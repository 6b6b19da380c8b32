using System.Text.RegularExpressions;
using CompanyHub.Browser.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CompanyHub.Browser.Tests;

/// <summary>A person's dashboard, opened through their token link: chat, proposals (approve, edit, reject), inbox, the link.</summary>
[Collection(HubCollection.Name)]
public sealed partial class PersonDashboardTests(HubFixture fixture)
{
    static PersonDashboardTests() => SetDefaultExpectTimeout(15_000);

    [Fact]
    public async Task Person_OpensTokenLink_ChatsWithAgent_ApprovesEditedProposal_SeesResultWithoutReload()
    {
        var person = await fixture.Api.OnboardAsync("bob@company.com", "Bob Builder");
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);

        // The token link: exchanged for an HttpOnly, SameSite=Strict cookie, then gone from the address bar.
        await page.GotoAsync(person.DashboardUrl);
        await Expect(page).ToHaveURLAsync(fixture.Hub.BaseUrl.ToString());
        Assert.DoesNotContain("token", page.Url, StringComparison.Ordinal);
        var cookie = Assert.Single(await context.CookiesAsync(), c => c.Name == "hub_token");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Bob Builder");

        // Chat: the message shows, "working…" while the agent thinks, then its reply.
        var box = page.GetByLabel("Message to your agent");
        await box.FillAsync("Hello! What can you do?");
        await box.PressAsync("Enter");
        var log = page.GetByRole(AriaRole.List, new() { Name = "Conversation" });
        await Expect(log.Locator("li.msg.user")).ToContainTextAsync("Hello! What can you do?");
        await Expect(box).ToHaveValueAsync("");
        await Expect(page.Locator("p.working")).ToBeVisibleAsync();
        await Expect(page.Locator("p.working")).ToHaveTextAsync("Working…");
        await Expect(log.Locator("li.msg.assistant").Last).ToContainTextAsync(FakeModel.Greeting);
        await Expect(page.Locator("p.working")).ToBeHiddenAsync();

        // From here on the page must not reload: everything arrives by polling.
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");

        // The agent proposes a write (a message to another agent): the Action Proposal card, waiting for a decision.
        await box.FillAsync("Please ask the orchestrator to book the big room for Friday.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        var card = page.Locator("article.proposal", new() { HasText = "Message Another Agent" });
        await Expect(card).ToContainTextAsync("Action Proposal");
        await Expect(card).ToContainTextAsync("To agent: orchestrator");
        await Expect(card.Locator("blockquote")).ToHaveTextAsync(FakeModel.PeerRequest);
        await Expect(card).ToContainTextAsync("Proposed by the agent");
        await Expect(log.Locator("li.msg.assistant").Last).ToContainTextAsync(FakeModel.AfterProposal);
        var proposalId = await card.GetAttributeAsync("data-proposal-id");
        Assert.NotNull(proposalId);
        await Artifacts.ScreenshotAsync(page, "person-dashboard-pending");

        // Edit in place, from the payload's fields: a new revision; untrusted text stays text.
        await card.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        var text = card.GetByLabel("Text", new() { Exact = true });
        await Expect(text).ToHaveValueAsync(FakeModel.PeerRequest);
        const string edited = "Could you book the big room for Friday at 10? <img src=x onerror=alert(1)>";
        await text.FillAsync(edited);
        await card.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Expect(card).ToContainTextAsync("revision 2");
        await Expect(card.Locator("blockquote")).ToHaveTextAsync(edited);
        await Expect(page.Locator("main img")).ToHaveCountAsync(0);

        // Approve: the result shows on the card without a reload, and the proposal moves to the history.
        await card.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Expect(card.Locator(".result")).ToContainTextAsync("delivered to orchestrator");
        await Expect(card).ToHaveClassAsync(SucceededClass());
        await Expect(page.Locator("#decided-proposals")).ToContainTextAsync("Message to orchestrator");
        await Expect(page.Locator("#decided-proposals")).ToContainTextAsync("succeeded");

        // The orchestrator's agent answers in a turn of its own; once the admin approves the answer, it lands in the inbox.
        await fixture.Api.ApproveReplyAsAdminAsync("orchestrator");
        await Expect(page.Locator("#inbox")).ToContainTextAsync("From orchestrator", new() { Timeout = 30_000 });
        await Expect(page.Locator("#inbox")).ToContainTextAsync(FakeModel.Greeting);
        await Expect(page.Locator("main img")).ToHaveCountAsync(0);
        Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "The page reloaded.");
        await Artifacts.ScreenshotAsync(page, "person-dashboard", docImage: "person-dashboard");

        // The hub agrees: the edited revision was the one approved and carried out.
        var view = await fixture.Api.ProposalAsync(proposalId);
        Assert.Equal("succeeded", view["status"]!.GetValue<string>());
        Assert.Equal(2, view["revision"]!.GetValue<int>());
        Assert.Equal(edited, view["payload"]!["text"]!.GetValue<string>());
        Assert.Equal("agent", view["proposedBy"]!["kind"]!.GetValue<string>());
        Assert.Equal($"user:{person.AgentId}", view["decidedBy"]!.GetValue<string>());
        errors.AssertNone();
    }

    [Fact]
    public async Task Person_ApprovesAnUpdateTheToolRefuses_SeesToolMessage_RejectsAnotherWithReason()
    {
        var person = await fixture.Api.OnboardAsync("dana@company.com", "Dana Scully");
        var email = await fixture.Api.ProposeAsync(person, "update_attio_record", new { @object = "companies", recordId = "no-such-record", values = new { name = "Acme Corp" } });
        var note = await fixture.Api.ProposeAsync(person, "create_attio_task", new { content = "Call Acme back" });
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);
        await page.GotoAsync(person.DashboardUrl);

        var emailCard = page.Locator($"article.proposal[data-proposal-id='{email}']");
        await Expect(emailCard).ToContainTextAsync("Update Attio Record");
        await Expect(emailCard).ToContainTextAsync("no-such-record");
        await emailCard.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Expect(emailCard.Locator(".result")).ToContainTextAsync("Failed");
        await Expect(emailCard.Locator(".result")).ToContainTextAsync("Attio answered 404:");

        var noteCard = page.Locator($"article.proposal[data-proposal-id='{note}']");
        await noteCard.GetByRole(AriaRole.Button, new() { Name = "Reject" }).ClickAsync();
        await noteCard.GetByLabel("Reason (optional)").FillAsync("Already called them");
        await noteCard.GetByRole(AriaRole.Button, new() { Name = "Reject proposal" }).ClickAsync();
        await Expect(noteCard.Locator(".result")).ToContainTextAsync("Already called them");
        await Expect(page.Locator("#decided-proposals li")).ToHaveCountAsync(2);
        await Expect(page.Locator("#open-h .badge")).ToHaveTextAsync("0");
        await Artifacts.ScreenshotAsync(page, "person-failed-and-rejected");

        Assert.Equal("failed", (await fixture.Api.ProposalAsync(email))["status"]!.GetValue<string>());
        var rejected = await fixture.Api.ProposalAsync(note);
        Assert.Equal("rejected", rejected["status"]!.GetValue<string>());
        Assert.Equal("Already called them", rejected["reason"]!.GetValue<string>());
        errors.AssertNone();
    }

    [Fact]
    public async Task Person_LetsOtherAgentsQuestionsReadCompanyTools_FromTheDashboard()
    {
        var person = await fixture.Api.OnboardAsync("fay@company.com", "Fay Wray");
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);
        await page.GotoAsync(person.DashboardUrl);

        var panel = page.Locator("section", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Questions from other agents" }) });
        await Expect(panel).ToContainTextAsync("without reading your mail or calendar");
        var box = panel.GetByRole(AriaRole.Checkbox);
        await Expect(box).Not.ToBeCheckedAsync();
        await box.CheckAsync();
        await Expect(panel.GetByRole(AriaRole.Status)).ToContainTextAsync("may now read Notion and Attio");
        Assert.True((await fixture.Api.AgentAsync(person.AgentId))["sharing"]!["companyToolsForAgents"]!.GetValue<bool>());

        // The page shows what the hub holds after a reload.
        await page.ReloadAsync();
        await Expect(panel.GetByRole(AriaRole.Checkbox)).ToBeCheckedAsync();
        await panel.GetByRole(AriaRole.Checkbox).UncheckAsync();
        await Expect(panel.GetByRole(AriaRole.Status)).ToContainTextAsync("no longer read");
        Assert.False((await fixture.Api.AgentAsync(person.AgentId))["sharing"]!["companyToolsForAgents"]!.GetValue<bool>());
        errors.AssertNone();
    }

    [Fact]
    public async Task Person_ChoosesNotifications_SeesWhyEmailCannotGo_AndANotificationLinkOpensTheCard()
    {
        var person = await fixture.Api.OnboardAsync("gus@company.com", "Gus Grand");
        var proposal = await fixture.Api.ProposeAsync(person, "create_attio_task", new { content = "Call the notified client" });
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);
        await page.GotoAsync(person.DashboardUrl);

        // This hub has no sender mailbox: the panel says so; the choice is still the person's.
        var panel = page.Locator("section", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Notifications" }) });
        var email = panel.GetByRole(AriaRole.Checkbox, new() { Name = "Email" });
        await Expect(email).ToBeCheckedAsync();
        await Expect(panel).ToContainTextAsync("Not sent now:");
        await email.UncheckAsync();
        await Expect(panel.GetByRole(AriaRole.Status)).ToContainTextAsync("Email: off.");
        Assert.False((await fixture.Api.NotificationsAsync(person.AgentId))["email"]!.GetValue<bool>());
        await page.ReloadAsync();
        await Expect(panel.GetByRole(AriaRole.Checkbox, new() { Name = "Email" })).Not.ToBeCheckedAsync();
        await Expect(panel.GetByRole(AriaRole.Checkbox, new() { Name = "Remind me every day while a proposal waits" })).ToBeCheckedAsync();

        // A notification's link: the dashboard, signed in by this browser's session, marks that card.
        await page.GotoAsync(new Uri(fixture.Hub.BaseUrl, $"/?proposal={proposal}").ToString());
        await Expect(page.Locator($"article.proposal[data-proposal-id='{proposal}'][data-linked]")).ToBeVisibleAsync();
        errors.AssertNone();
    }

    [Fact]
    public async Task Person_RotatesToken_NewLinkShownOnce_OldLinkStopsWorking()
    {
        var person = await fixture.Api.OnboardAsync("erin@company.com", "Erin Hale");
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);
        await page.GotoAsync(person.DashboardUrl);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Erin Hale");

        await page.GetByRole(AriaRole.Button, new() { Name = "Get a new link" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("stops working at once");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Make a new link" }).ClickAsync();
        var newLink = page.GetByLabel("New dashboard link");
        await Expect(newLink).ToHaveValueAsync(new Regex(Regex.Escape(fixture.Hub.BaseUrl.ToString()) + @"\?token=[A-Za-z0-9_-]{32}$"));
        var url = await newLink.InputValueAsync();
        Assert.NotEqual(person.DashboardUrl, url);
        await Artifacts.ScreenshotAsync(page, "person-new-link");

        // Shown once: a reload does not show it again, and this browser stays signed in (its cookie moved along).
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Erin Hale");
        await Expect(page.GetByLabel("New dashboard link")).ToHaveCountAsync(0);

        await using var other = await fixture.NewContextAsync();
        var old = await other.NewPageAsync();
        var response = await old.GotoAsync(person.DashboardUrl);
        Assert.Equal(401, response!.Status);
        await Expect(old.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("This link does not work");
        await Expect(old.Locator("body")).ToContainTextAsync("ask your admin for a new one");

        await old.GotoAsync(url);
        await Expect(old).ToHaveURLAsync(fixture.Hub.BaseUrl.ToString());
        await Expect(old.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Erin Hale");
        errors.AssertNone();
    }

    [Fact]
    public async Task Person_PhoneWidth_OneColumn_ProposalsFirst_NoSidewaysScrolling()
    {
        var person = await fixture.Api.OnboardAsync("finn@company.com", "Finn Mertens");
        await fixture.Api.ProposeAsync(person, "create_notion_page", new
        {
            parentPageId = "quarterly-planning-parent-page-with-a-long-identifier",
            title = "Quarterly planning with a rather long title that has to wrap on a phone",
            content = "Agenda: numbers, hiring, the roadmap and a very-long-unbroken-word-that-must-wrap-somewhere-on-a-narrow-screen.",
        });
        await using var context = await fixture.NewContextAsync(width: 390, height: 844);
        var page = await context.NewPageAsync();
        var errors = PageErrors.Watch(page);
        await page.GotoAsync(person.DashboardUrl);
        var card = page.Locator("article.proposal").First;
        await Expect(card).ToContainTextAsync("Create Notion Page");

        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"The page scrolls sideways by {overflow}px at phone width.");
        var open = await page.Locator("section[aria-labelledby='open-h']").BoundingBoxAsync();
        var chat = await page.Locator("section[aria-labelledby='chat-h']").BoundingBoxAsync();
        Assert.True(open!.Y < chat!.Y, "On a phone, the proposals waiting for a decision come before the conversation.");
        Assert.True(open.Width <= 390);
        await Artifacts.ScreenshotAsync(page, "person-phone", docImage: "person-phone");
        errors.AssertNone();
    }

    [GeneratedRegex("succeeded")]
    private static partial Regex SucceededClass();
}
