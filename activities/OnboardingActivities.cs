using System.Security.Cryptography;
using CompanyHub.Entities;
using CompanyHub.Orchestrations;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Orchestrations.Onboarding;
using CompanyHub.Security;
using Microsoft.Extensions.Options;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Activities;

/// <summary>Sends onboarding emails (the invite, and the dashboard link once the agent is ready).</summary>
public interface IOnboardingMailer
{
    /// <summary>Sends the invite; returns null when sent, or why it could not be (for example no sender connected).</summary>
    /// <remarks>Calls with the same <paramref name="idempotencyKey"/> (the activity's) send one email at most.</remarks>
    Task<string?> SendInviteAsync(string email, string name, string inviteLink, DateTimeOffset expiresAt, string idempotencyKey, CancellationToken cancellationToken);

    /// <summary>Sends the dashboard link; at most one email per <paramref name="idempotencyKey"/>.</summary>
    Task<string?> SendReadyAsync(string email, string name, string dashboardLink, string idempotencyKey, CancellationToken cancellationToken);
}

/// <summary>Checks an onboarding request against the settings and the directory, and picks the agent id.</summary>
public sealed class PlanOnboarding(DurableTaskClient client, IOptions<HubOptions> options) : TaskActivity<OnboardingRequest, OnboardingPlan>
{
    public const string Name = nameof(PlanOnboarding);

    public override async Task<OnboardingPlan> RunAsync(TaskActivityContext context, OnboardingRequest input)
    {
        var hub = options.Value;
        var expires = DateTimeOffset.UtcNow + hub.InviteExpiry;
        var email = input.Email.Trim();
        if (!ProposalValidator.IsEmail(email))
        {
            return new OnboardingPlan(null, $"'{email}' is not a valid email address.", expires);
        }

        if (!hub.IsAllowedDomain(email))
        {
            return new OnboardingPlan(null, $"{email} is not in an allowed domain ({string.Join(", ", hub.AllowedEmailDomains)}).", expires);
        }

        var directory = (await client.Entities.GetEntityAsync<DirectoryState>(DirectoryEntity.Id, context.CancellationToken()))?.State ?? new DirectoryState();
        if (directory.FindActiveByEmail(email) is { } existing)
        {
            return new OnboardingPlan(null, $"{email} already has an active agent ({existing.AgentId}).", expires);
        }

        var agentId = AgentIds.Unique(AgentIds.FromEmail(email), id =>
            id == "orchestrator" || (directory.Agents.TryGetValue(id, out var entry) && !string.Equals(entry.Email, email, StringComparison.OrdinalIgnoreCase)));
        return new OnboardingPlan(agentId, null, expires);
    }
}

/// <summary>Makes an invite code: 32 random bytes. History only ever holds it sealed.</summary>
public sealed class CreateInvite(SecretBox box) : TaskActivity<string, InviteCreated>
{
    public const string Name = nameof(CreateInvite);

    public const string Purpose = "invite-code";

    public override Task<InviteCreated> RunAsync(TaskActivityContext context, string input)
    {
        var code = Base64Url.Encode(RandomNumberGenerator.GetBytes(32));
        return Task.FromResult(new InviteCreated(box.Seal(code, Purpose), UserTokens.Hash(code)));
    }
}

/// <summary>The input of <see cref="SendInviteEmail"/>.</summary>
public sealed record InviteEmail(string Email, string Name, string SealedCode, DateTimeOffset ExpiresAt);

/// <summary>Emails the invite link; answers null when sent, or the reason it was not.</summary>
public sealed class SendInviteEmail(IOnboardingMailer mailer, SecretBox box, IOptions<HubOptions> options) : TaskActivity<InviteEmail, string?>
{
    public const string Name = nameof(SendInviteEmail);

    /// <summary>
    /// One invite email per onboarding and expiry: a run repeated after a crash sends nothing new, a resend (a new expiry)
    /// sends again. Built from what the orchestration hands the activity, so it is the same on every host.
    /// </summary>
    public static string IdempotencyKey(TaskActivityContext context, InviteEmail input) =>
        $"{context.InstanceId}:invite:{input.ExpiresAt.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    public override Task<string?> RunAsync(TaskActivityContext context, InviteEmail input)
    {
        var link = options.Value.Link("/invite/" + box.Open(input.SealedCode, CreateInvite.Purpose));
        return mailer.SendInviteAsync(input.Email, input.Name, link, input.ExpiresAt, IdempotencyKey(context, input), context.CancellationToken());
    }
}

/// <summary>A minted user token: sealed (for the one-time display) and its hash (for the directory).</summary>
public sealed record MintedToken(string SealedToken, string TokenHash);

/// <summary>Mints a user token: 24 random bytes. Only the hash is stored in the clear.</summary>
public sealed class MintUserToken(SecretBox box) : TaskActivity<string, MintedToken>
{
    public const string Name = nameof(MintUserToken);

    public const string Purpose = "user-token";

    public override Task<MintedToken> RunAsync(TaskActivityContext context, string input)
    {
        var token = UserTokens.Create();
        return Task.FromResult(new MintedToken(box.Seal(token, Purpose + ":" + input), UserTokens.Hash(token)));
    }
}

/// <summary>The input of <see cref="SendReadyEmail"/>.</summary>
public sealed record ReadyEmail(string AgentId, string Email, string Name, string SealedToken);

/// <summary>Emails the person their private dashboard link.</summary>
public sealed class SendReadyEmail(IOnboardingMailer mailer, SecretBox box, IOptions<HubOptions> options) : TaskActivity<ReadyEmail, string?>
{
    public const string Name = nameof(SendReadyEmail);

    /// <summary>One dashboard-link email per onboarding and agent, however often the activity runs.</summary>
    public static string IdempotencyKey(TaskActivityContext context, ReadyEmail input) => $"{context.InstanceId}:ready:{input.AgentId}";

    public override Task<string?> RunAsync(TaskActivityContext context, ReadyEmail input)
    {
        var token = box.Open(input.SealedToken, MintUserToken.Purpose + ":" + input.AgentId);
        return mailer.SendReadyAsync(input.Email, input.Name, options.Value.Link("/?token=" + token), IdempotencyKey(context, input), context.CancellationToken());
    }
}

/// <summary>The input of <see cref="StartOnboardingFromProposal"/>.</summary>
public sealed record OnboardingFromProposal(string ProposalId, string Email, string Name);

/// <summary>Starts the admin-path onboarding the admin approved through the orchestrator (idempotent: one per proposal).</summary>
public sealed class StartOnboardingFromProposal(DurableTaskClient client) : TaskActivity<OnboardingFromProposal, string>
{
    public const string Name = nameof(StartOnboardingFromProposal);

    public override Task<string> RunAsync(TaskActivityContext context, OnboardingFromProposal input) =>
        client.StartOnceAsync(nameof(OnboardingOrchestration), new OnboardingRequest(input.Email, input.Name, InitiatedBy.Admin, "agent:orchestrator"),
            $"onboarding-{input.ProposalId}", restartIfFinished: false, context.CancellationToken());
}
