using CompanyHub.Entities;
using CompanyHub.Orchestrations.Onboarding;
using CompanyHub.Activities;
using CompanyHub.Security;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Tests;

public sealed class OnboardingOrchestrationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AdminInvite_SignIn_CreatesActiveAgentWithWorkingToken()
    {
        await using var hub = await AppHub.StartAsync(new NoActionsRunner());
        var id = await StartAsync(hub, "alice@example.com", "Alice", InitiatedBy.Admin);
        var invited = await WaitForStepAsync(hub, id, OnboardingSteps.InviteSent);
        var invite = hub.Mailer.Sent.Single(m => m.Kind == "invite");
        Assert.Equal("alice@example.com", invite.Email);
        Assert.StartsWith("https://hub.example.com/invite/", invite.Link, StringComparison.Ordinal);
        Assert.Equal(invite.Link, "https://hub.example.com/invite/" + hub.Box.Open(invited.SealedInvite!, CreateInvite.Purpose));

        await hub.Client.RaiseEventAsync(id, OAuthCompleted.EventName, new OAuthCompleted("Alice@Example.com", true, hub.Box.Seal("refresh-1", "google-refresh-token:alice-example-com"), "Alice"));
        var done = await CompleteAsync(hub, id);

        Assert.Equal(OnboardingSteps.Active, done.Step);
        Assert.Equal("alice-example-com", done.AgentId);
        var ready = hub.Mailer.Sent.Single(m => m.Kind == "ready");
        var token = ready.Link["https://hub.example.com/?token=".Length..];
        Assert.True(UserTokens.LooksLikeToken(token));
        Assert.Equal(token, hub.Box.Open(done.SealedToken!, MintUserToken.Purpose + ":alice-example-com"));
        var directory = (await hub.Client.Entities.GetEntityAsync<DirectoryState>(DirectoryEntity.Id))!.State!;
        Assert.Equal("alice-example-com", directory.FindByTokenHash(UserTokens.Hash(token)));
        var agent = (await hub.Client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id("alice-example-com")))!.State!;
        Assert.Equal("Alice's Assistant", agent.Identity.Name);
        Assert.Equal(["orchestrator", "*"], agent.AllowAgents);
        Assert.Equal(1, agent.Autonomy.Level);
        Assert.Equal("/data/workspaces/alice-example-com", agent.Workspace);
        Assert.NotNull(agent.SealedGoogleRefreshToken);
    }

    [Fact]
    public async Task WrongAccount_IsRefused_AndTheInviteKeepsWaiting()
    {
        await using var hub = await AppHub.StartAsync(new NoActionsRunner());
        var id = await StartAsync(hub, "bob@example.com", "Bob", InitiatedBy.User);
        await WaitForStepAsync(hub, id, OnboardingSteps.AwaitingOAuth);

        await hub.Client.RaiseEventAsync(id, OAuthCompleted.EventName, new OAuthCompleted("mallory@example.com", true, null, null));
        await hub.Client.RaiseEventAsync(id, OAuthCompleted.EventName, new OAuthCompleted("bob@example.com", false, null, null));
        await WaitForAsync(hub, id, s => s.Message?.Contains("unverified", StringComparison.Ordinal) == true);
        Assert.Equal(OnboardingSteps.AwaitingOAuth, (await StatusAsync(hub, id)).Step);

        await hub.Client.RaiseEventAsync(id, OAuthCompleted.EventName, new OAuthCompleted("bob@example.com", true, null, null, DevSignIn: true));
        Assert.Equal(OnboardingSteps.Active, (await CompleteAsync(hub, id)).Step);
    }

    [Fact]
    public async Task NoSignIn_InviteExpires()
    {
        await using var hub = await AppHub.StartAsync(new NoActionsRunner(), inviteExpiry: TimeSpan.FromMilliseconds(600));
        var id = await StartAsync(hub, "carol@example.com", "Carol", InitiatedBy.Admin);

        var done = await CompleteAsync(hub, id);

        Assert.Equal(OnboardingSteps.Expired, done.Step);
        Assert.Null(done.SealedInvite);
    }

    [Fact]
    public async Task Cancel_EndsTheOnboarding()
    {
        await using var hub = await AppHub.StartAsync(new NoActionsRunner());
        var id = await StartAsync(hub, "dave@example.com", "Dave", InitiatedBy.Admin);
        await WaitForStepAsync(hub, id, OnboardingSteps.InviteSent);

        await hub.Client.RaiseEventAsync(id, CancelOnboarding.EventName, new CancelOnboarding("left the company"));

        var done = await CompleteAsync(hub, id);
        Assert.Equal(OnboardingSteps.Cancelled, done.Step);
        Assert.Equal("left the company", done.Message);
    }

    [Fact]
    public async Task Resend_ExtendsTheExpiry_AndSendsAgain_WithoutASecondOrchestration()
    {
        await using var hub = await AppHub.StartAsync(new NoActionsRunner(), inviteExpiry: TimeSpan.FromSeconds(2));
        var id = await StartAsync(hub, "erin@example.com", "Erin", InitiatedBy.Admin);
        await WaitForStepAsync(hub, id, OnboardingSteps.InviteSent);

        var later = DateTimeOffset.UtcNow.AddDays(3);
        await hub.Client.RaiseEventAsync(id, ResendInvite.EventName, new ResendInvite(later));
        await WaitForAsync(hub, id, s => s.ExpiresAt == later);
        await Task.Delay(2500);

        Assert.Equal(OnboardingSteps.InviteSent, (await StatusAsync(hub, id)).Step);
        Assert.Equal(2, hub.Mailer.Sent.Count(m => m.Kind == "invite" && m.Email == "erin@example.com"));
    }

    [Fact]
    public async Task Duplicate_ActiveEmail_IsRefused()
    {
        await using var hub = await AppHub.StartAsync(new NoActionsRunner());
        var first = await StartAsync(hub, "frank@example.com", "Frank", InitiatedBy.Admin);
        await WaitForStepAsync(hub, first, OnboardingSteps.InviteSent);
        await hub.Client.RaiseEventAsync(first, OAuthCompleted.EventName, new OAuthCompleted("frank@example.com", true, null, null));
        await CompleteAsync(hub, first);

        var second = await StartAsync(hub, "FRANK@example.com", "Frank", InitiatedBy.Admin);
        var done = await CompleteAsync(hub, second);

        Assert.StartsWith(OnboardingSteps.FailedPrefix, done.Step, StringComparison.Ordinal);
        Assert.Contains("already has an active agent (frank-example-com)", done.Step, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisallowedDomain_IsRefused()
    {
        await using var hub = await AppHub.StartAsync(new NoActionsRunner());
        var id = await StartAsync(hub, "grace@other.org", "Grace", InitiatedBy.User);

        var done = await CompleteAsync(hub, id);

        Assert.StartsWith(OnboardingSteps.FailedPrefix, done.Step, StringComparison.Ordinal);
        Assert.Contains("not in an allowed domain", done.Step, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostRestart_BetweenInviteAndSignIn_Resumes()
    {
        var directory = Path.Combine(Path.GetTempPath(), "hub-app-tests", Guid.NewGuid().ToString("N"));
        string id;
        await using (var first = await AppHub.StartAsync(new NoActionsRunner(), directory))
        {
            id = await StartAsync(first, "heidi@example.com", "Heidi", InitiatedBy.Admin);
            await WaitForStepAsync(first, id, OnboardingSteps.InviteSent);
        }

        await using var second = await AppHub.StartAsync(new NoActionsRunner(), directory);
        await second.Client.RaiseEventAsync(id, OAuthCompleted.EventName, new OAuthCompleted("heidi@example.com", true, null, null));
        Assert.Equal(OnboardingSteps.Active, (await CompleteAsync(second, id)).Step);
    }

    [Fact]
    public void AgentIds_DeriveFromEmail_AndAvoidCollisions()
    {
        Assert.Equal("alice-company-com", AgentIds.FromEmail("alice@company.com"));
        Assert.Equal("j-doe-company-co-uk", AgentIds.FromEmail("J.Doe@Company.co.uk"));
        Assert.Equal("alice-company-com-3", AgentIds.Unique("alice-company-com", id => id is "alice-company-com" or "alice-company-com-2"));
    }

    private static async Task<string> StartAsync(AppHub hub, string email, string name, string initiatedBy) =>
        await hub.Client.ScheduleNewOrchestrationInstanceAsync(nameof(OnboardingOrchestration), new OnboardingRequest(email, name, initiatedBy, initiatedBy == InitiatedBy.Admin ? "admin" : "anonymous"));

    private static async Task<OnboardingStatus> StatusAsync(AppHub hub, string id) =>
        (await hub.Client.GetInstanceAsync(id, getInputsAndOutputs: true))!.ReadCustomStatusAs<OnboardingStatus>()!;

    private static Task<OnboardingStatus> WaitForStepAsync(AppHub hub, string id, string step) => WaitForAsync(hub, id, s => s.Step == step);

    private static async Task<OnboardingStatus> WaitForAsync(AppHub hub, string id, Func<OnboardingStatus, bool> condition)
    {
        using var cts = new CancellationTokenSource(Wait);
        while (true)
        {
            var status = (await hub.Client.GetInstanceAsync(id, getInputsAndOutputs: true, cts.Token))?.ReadCustomStatusAs<OnboardingStatus>();
            if (status is not null && condition(status))
            {
                return status;
            }

            await Task.Delay(10, cts.Token);
        }
    }

    private static async Task<OnboardingStatus> CompleteAsync(AppHub hub, string id)
    {
        using var cts = new CancellationTokenSource(Wait);
        var done = await hub.Client.WaitForInstanceCompletionAsync(id, true, cts.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        return done.ReadOutputAs<OnboardingStatus>()!;
    }
}

/// <summary>An action runner for tests where no approved action may run.</summary>
public sealed class NoActionsRunner : IProposalActionRunner
{
    public Task<Orchestrations.Approvals.ActionResult> RunAsync(Orchestrations.Approvals.ActionRequest request, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("no action should run in this test");
}
