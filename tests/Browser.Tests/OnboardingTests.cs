using System.Text.RegularExpressions;
using CompanyHub.Browser.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CompanyHub.Browser.Tests;

/// <summary>
/// Onboarding through the pages, as docs/http-api.md describes it: the admin invites, the person opens the invite and
/// uses the development sign-in (no Google configured), then opens their dashboard by its token link.
/// </summary>
[Collection(HubCollection.Name)]
public sealed class OnboardingTests(HubFixture fixture)
{
    static OnboardingTests() => SetDefaultExpectTimeout(15_000);

    [Fact]
    public async Task Admin_InvitesPerson_PersonCompletesDevSignIn_OpensDashboardByTokenLink()
    {
        const string email = "kate@company.com";
        await using var adminContext = await fixture.NewContextAsync();
        var admin = await adminContext.NewPageAsync();
        var errors = PageErrors.Watch(admin);
        await admin.GotoAsync(fixture.Hub.Link(fixture.Api.AdminToken) + "#/onboarding");
        await Expect(admin.GetByRole(AriaRole.Heading, new() { Name = "Onboarding", Level = 1 })).ToBeVisibleAsync();

        var invite = admin.GetByRole(AriaRole.Form, new() { Name = "Invite someone" });
        await invite.GetByLabel("Email").FillAsync(email);
        await invite.GetByLabel("Name").FillAsync("Kate Bishop");
        await invite.GetByRole(AriaRole.Button, new() { Name = "Send invite" }).ClickAsync();
        var status = admin.Locator("#invite-status");
        await Expect(status).Not.ToBeEmptyAsync();
        await Expect(status).ToContainTextAsync("Invite on its way");
        var item = admin.Locator("#pipeline li", new() { HasText = email });
        await Expect(item).ToBeVisibleAsync();
        await Expect(admin.Locator("#pipeline section", new() { Has = admin.Locator("li", new() { HasText = email }) })).ToHaveAttributeAsync("data-step", new Regex("^(InviteSent|AwaitingOAuth)$"));
        await item.GetByRole(AriaRole.Button, new() { Name = "Invite link" }).ClickAsync();
        var inviteLink = admin.GetByLabel($"Invite link for {email}");
        await Expect(inviteLink).ToHaveValueAsync(new Regex("/invite/"));
        var inviteUrl = await inviteLink.InputValueAsync();
        await Artifacts.ScreenshotAsync(admin, "admin-onboarding", docImage: "admin-onboarding");

        // The person: invite page, development sign-in, then the dashboard link.
        await using var personContext = await fixture.NewContextAsync();
        var person = await personContext.NewPageAsync();
        await person.GotoAsync(inviteUrl);
        await Expect(person.Locator("body")).ToContainTextAsync(email);
        await Artifacts.ScreenshotAsync(person, "invite-page");
        await person.GetByLabel(new Regex("email", RegexOptions.IgnoreCase)).FillAsync(email);
        await person.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("sign in", RegexOptions.IgnoreCase) }).ClickAsync();
        var dashboardLink = person.GetByRole(AriaRole.Link, new() { NameRegex = new Regex("dashboard", RegexOptions.IgnoreCase) });
        await Expect(dashboardLink).ToHaveAttributeAsync("href", new Regex(@"\?token="));
        await Artifacts.ScreenshotAsync(person, "sign-in-result");
        await dashboardLink.ClickAsync();
        await Expect(person).ToHaveURLAsync(fixture.Hub.BaseUrl.ToString());
        await Expect(person.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Kate Bishop");

        // The admin sees the pipeline reach Active.
        await Expect(admin.Locator("#pipeline section[data-step='Active'] li", new() { HasText = email })).ToBeVisibleAsync(new() { Timeout = 20_000 });
        errors.AssertNone();
    }
}
