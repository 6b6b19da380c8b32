using CompanyHub.Activities;
using CompanyHub.Entities;
using CompanyHub.Security;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;

namespace CompanyHub.Orchestrations.Onboarding;

/// <summary>
/// Onboards one person: validate, invite (emailed by the admin path, returned to the requester on the user path),
/// wait for the Google sign-in with the invite's expiry as the timeout (Cancel ends it, Resend extends it), then create
/// the agent, mint the person's token and send them their dashboard link. The custom status shows the step.
/// </summary>
public sealed class OnboardingOrchestration : TaskOrchestrator<OnboardingRequest, OnboardingStatus>
{
    public override async Task<OnboardingStatus> RunAsync(TaskOrchestrationContext context, OnboardingRequest input)
    {
        var status = new OnboardingStatus { Step = OnboardingSteps.Validating, Email = input.Email.Trim(), Name = input.Name.Trim(), InitiatedBy = input.InitiatedBy, UpdatedAt = Now(context) };
        Publish(context, ref status, status);

        var plan = await context.CallActivityAsync<OnboardingPlan>(PlanOnboarding.Name, input);
        if (plan.Error is not null)
        {
            Publish(context, ref status, status with { Step = OnboardingSteps.FailedPrefix + plan.Error, Message = plan.Error });
            await AuditAsync(context, input, status, "onboarding.refused", plan.Error, "refused");
            return status;
        }

        var invite = await context.CallActivityAsync<InviteCreated>(CreateInvite.Name, context.InstanceId);
        var expiresAt = plan.ExpiresAt;
        await context.Entities.CallEntityAsync(InviteEntity.Id(invite.CodeHash), nameof(InviteEntity.Create),
            new InviteState(context.InstanceId, status.Email, status.Name, expiresAt, InviteState.Pending));
        status = status with { AgentId = plan.AgentId, ExpiresAt = expiresAt, SealedInvite = invite.SealedCode };

        var (sent, inviteMessage) = await SendInviteAsync(context, input, status, invite, expiresAt);
        Publish(context, ref status, status with { Step = sent ? OnboardingSteps.InviteSent : OnboardingSteps.AwaitingOAuth, Message = inviteMessage });
        await AuditAsync(context, input, status, "onboarding.invited", inviteMessage, "invited");

        OAuthCompleted? signedIn = null;
        while (signedIn is null)
        {
            using var stop = new CancellationTokenSource();
            var oauth = context.WaitForExternalEvent<OAuthCompleted>(OAuthCompleted.EventName, stop.Token);
            var cancel = context.WaitForExternalEvent<CancelOnboarding>(CancelOnboarding.EventName, stop.Token);
            var resend = context.WaitForExternalEvent<ResendInvite>(ResendInvite.EventName, stop.Token);
            var timeout = context.CreateTimer(expiresAt.UtcDateTime, stop.Token);
            var winner = await Task.WhenAny(oauth, cancel, resend, timeout);
            stop.Cancel();

            if (winner == timeout)
            {
                await context.Entities.CallEntityAsync(InviteEntity.Id(invite.CodeHash), nameof(InviteEntity.SetStatus), InviteState.Expired);
                Publish(context, ref status, status with { Step = OnboardingSteps.Expired, SealedInvite = null, Message = "The invite expired before the person signed in." });
                await AuditAsync(context, input, status, "onboarding.expired", null, "expired");
                return status;
            }

            if (winner == cancel)
            {
                await context.Entities.CallEntityAsync(InviteEntity.Id(invite.CodeHash), nameof(InviteEntity.SetStatus), InviteState.Cancelled);
                Publish(context, ref status, status with { Step = OnboardingSteps.Cancelled, SealedInvite = null, Message = cancel.Result.Reason ?? "Cancelled by the admin." });
                await AuditAsync(context, input, status, "onboarding.cancelled", cancel.Result.Reason, "cancelled");
                return status;
            }

            if (winner == resend)
            {
                expiresAt = resend.Result.ExpiresAt;
                await context.Entities.CallEntityAsync(InviteEntity.Id(invite.CodeHash), nameof(InviteEntity.Extend), expiresAt);
                var (_, message) = await SendInviteAsync(context, input, status, invite, expiresAt);
                Publish(context, ref status, status with { ExpiresAt = expiresAt, Message = message });
                await AuditAsync(context, input, status, "onboarding.resent", message, "resent");
                continue;
            }

            var candidate = oauth.Result;
            if (!candidate.EmailVerified || !string.Equals(candidate.Email.Trim(), status.Email, StringComparison.OrdinalIgnoreCase))
            {
                // The callback already told the person; the invite stays open for the right account.
                Publish(context, ref status, status with { Message = $"A sign-in with a different or unverified Google account ({candidate.Email}) was refused." });
                continue;
            }

            signedIn = candidate;
        }

        await context.Entities.CallEntityAsync(InviteEntity.Id(invite.CodeHash), nameof(InviteEntity.SetStatus), InviteState.Used);
        Publish(context, ref status, status with { Step = OnboardingSteps.CreatingAgent, SealedInvite = null, Message = null });

        // Another invite for the same person may have completed while this one waited: check again, so that a second
        // sign-in neither fails half-way nor takes over the first agent.
        var recheck = await context.CallActivityAsync<OnboardingPlan>(PlanOnboarding.Name, input);
        if (recheck.Error is not null)
        {
            Publish(context, ref status, status with { Step = OnboardingSteps.FailedPrefix + recheck.Error, Message = recheck.Error });
            await AuditAsync(context, input, status, "onboarding.refused", recheck.Error, "refused");
            return status;
        }

        var agentId = status.AgentId!;
        var profile = new AgentProfile(agentId, status.Email, status.Name, new AgentIdentity($"{status.Name}'s Assistant", $"A personal assistant for {status.Name}: careful, concise, proactive."),
            ["orchestrator", "*"], AgentAutonomy.AlwaysAsk, $"/data/workspaces/{agentId}", signedIn.GoogleScopes, signedIn.GoogleSubject);
        try
        {
            await context.Entities.CallEntityAsync(AgentEntity.Id(agentId), nameof(AgentEntity.Create), profile);
        }
        catch (EntityOperationFailedException ex)
        {
            // Two sign-ins for one person at the same moment: the entity lets only one create the agent.
            var reason = $"the agent could not be created: {ex.FailureDetails.ErrorMessage}";
            Publish(context, ref status, status with { Step = OnboardingSteps.FailedPrefix + reason, Message = reason });
            await AuditAsync(context, input, status, "onboarding.failed", reason, "failed");
            return status;
        }

        if (signedIn.SealedRefreshToken is { } sealedRefresh)
        {
            await context.Entities.CallEntityAsync(AgentEntity.Id(agentId), nameof(AgentEntity.SetGoogleCredential), sealedRefresh);
        }

        var token = await context.CallActivityAsync<MintedToken>(MintUserToken.Name, agentId);
        await context.Entities.CallEntityAsync(AgentEntity.Id(agentId), nameof(AgentEntity.SetTokenHash), token.TokenHash);
        await context.Entities.CallEntityAsync(DirectoryEntity.Id, nameof(DirectoryEntity.Register),
            new DirectoryEntry(agentId, status.Email, status.Name, AgentStatus.Active, token.TokenHash, Now(context)));

        var mailed = await context.CallActivityAsync<string?>(SendReadyEmail.Name, new ReadyEmail(agentId, status.Email, status.Name, token.SealedToken));
        Publish(context, ref status, status with
        {
            Step = OnboardingSteps.Active,
            SealedToken = token.SealedToken,
            Message = mailed is null ? $"{status.Name} is now active." : $"{status.Name} is now active. The dashboard link was not emailed: {mailed}",
        });
        await AuditAsync(context, input, status, "onboarding.active", $"{status.Name} is now active", "active");
        return status;
    }

    /// <summary>Emails the invite on the admin path; says whether it went out and what the admin should know.</summary>
    private static async Task<(bool Sent, string Message)> SendInviteAsync(TaskOrchestrationContext context, OnboardingRequest input, OnboardingStatus status, InviteCreated invite, DateTimeOffset expiresAt)
    {
        if (input.InitiatedBy != InitiatedBy.Admin)
        {
            return (false, "Invite link returned to the requester.");
        }

        var problem = await context.CallActivityAsync<string?>(SendInviteEmail.Name, new InviteEmail(status.Email, status.Name, invite.SealedCode, expiresAt));
        return problem is null
            ? (true, $"Invite sent to {status.Email}.")
            : (false, $"The invite email was not sent ({problem}); share the invite link from the dashboard instead.");
    }

    private static void Publish(TaskOrchestrationContext context, ref OnboardingStatus current, OnboardingStatus next)
    {
        current = next with { UpdatedAt = Now(context) };
        context.SetCustomStatus(current);
    }

    private static Task AuditAsync(TaskOrchestrationContext context, OnboardingRequest input, OnboardingStatus status, string action, string? detail, string outcome) =>
        context.CallActivityAsync<bool>(RecordAudit.Name, new AuditRecord(Now(context), input.RequestedBy, action, status.AgentId, context.InstanceId, detail ?? $"{status.Email}: {status.Step}", null, outcome));

    private static DateTimeOffset Now(TaskOrchestrationContext context) => new(context.CurrentUtcDateTime, TimeSpan.Zero);
}
