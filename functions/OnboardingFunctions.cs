using CompanyHub.Activities;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Orchestrations.Onboarding;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Azure.Functions.Worker;

namespace CompanyHub.Functions;

/// <summary>The body of the onboarding requests.</summary>
public sealed record OnboardingBody(string? Email, string? Name);

/// <summary>Onboarding: the self-service request and the admin's invites.</summary>
public sealed class OnboardingFunctions(SecretBox box, IOptions<HubOptions> options, IOptions<ApprovalOptions> approvals, IAuditLog audit, OnboardingRequestLimiter limiter, DevSignIn devSignIn)
{
    /// <summary>How every onboarding's instance id starts (<c>onboarding-&lt;guid&gt;</c>, or <c>onboarding-&lt;proposal id&gt;</c> when approved as a proposal).</summary>
    public const string OnboardingIdPrefix = "onboarding-";

    private static readonly TimeSpan StepWait = TimeSpan.FromSeconds(10);

    [Function("RequestOnboarding")]
    public async Task<IResult> RequestOnboarding(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "onboarding/requests")] HttpRequest req,
        OnboardingBody body, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var address = TokenAuthenticator.AddressOf(req.HttpContext);
        if (!limiter.TryAcquire(address, out var retryAfter))
        {
            return Problems.TooManyRequests(req.HttpContext.Response, retryAfter, "Too many onboarding requests from this address; try again in an hour or ask your admin for an invite.");
        }

        if (Validate(body) is { } invalid)
        {
            return invalid;
        }

        // With the development sign-in offered beyond loopback an invite link would hand anyone an agent: the admin decides.
        if (options.Value.SelfServiceRequiresApproval || devSignIn.BeyondLoopback)
        {
            // The admin decides first: the request is a proposal of the orchestrator; approving it emails the invite.
            var proposalId = $"p-{Guid.NewGuid():N}";
            var payload = new System.Text.Json.Nodes.JsonObject { ["email"] = body.Email!.Trim(), ["name"] = body.Name!.Trim() };
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestration),
                new ProposalRequest(proposalId, Orchestrations.Agents.SystemPrompts.OrchestratorId, "", ProposalTypes.StartOnboarding, payload, new ProposedBy("anonymous"), DateTimeOffset.UtcNow + approvals.Value.Expiry),
                new StartOrchestrationOptions(proposalId), cancellationToken);
            await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, $"anonymous:{address}", "onboarding.requested", null, proposalId, $"{body.Email!.Trim()} (self-service, awaiting the admin's approval)", address, "pending"), cancellationToken);
            return Results.Accepted((string?)null, new { requestId = proposalId, status = "awaiting the admin's approval", message = "The admin will review your request; if approved, the invite arrives by email." });
        }

        var id = await StartAsync(client, body, InitiatedBy.User, $"anonymous:{address}", cancellationToken);
        var status = await WaitForAsync(client, id, s => s.SealedInvite is not null || s.Step.StartsWith(OnboardingSteps.FailedPrefix, StringComparison.Ordinal), cancellationToken);
        if (status is null)
        {
            return Results.Accepted($"/api/onboarding/requests/{id}", new { onboardingId = id, step = OnboardingSteps.Validating });
        }

        if (status.Step.StartsWith(OnboardingSteps.FailedPrefix, StringComparison.Ordinal))
        {
            return Problems.BadRequest(status.Message ?? status.Step);
        }

        return Results.Accepted((string?)null, new { onboardingId = id, inviteUrl = InviteUrl(status), expiresAt = status.ExpiresAt });
    }

    [Function("InviteSomeone")]
    public async Task<IResult> InviteSomeone(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "admin/onboardings")] HttpRequest req,
        OnboardingBody body, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (Validate(body) is { } invalid)
        {
            return invalid;
        }

        var id = await StartAsync(client, body, InitiatedBy.Admin, "admin", cancellationToken);
        var status = await WaitForAsync(client, id, s => s.Step != OnboardingSteps.Validating, cancellationToken);
        if (status?.Step.StartsWith(OnboardingSteps.FailedPrefix, StringComparison.Ordinal) == true)
        {
            return Problems.BadRequest(status.Message ?? status.Step);
        }

        return Results.Accepted((string?)null, new { onboardingId = id, step = status?.Step ?? OnboardingSteps.Validating, message = status?.Message });
    }

    [Function("ListOnboardings")]
    public static async Task<IResult> ListOnboardings(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/onboardings")] HttpRequest req,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken, string? status = null)
    {
        var list = new List<object>();
        // Every onboarding's instance id starts with "onboarding-"; the query has no filter by orchestrator name.
        await foreach (var instance in client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = OnboardingIdPrefix, FetchInputsAndOutputs = true }).WithCancellation(cancellationToken))
        {
            if (instance.Name != nameof(OnboardingOrchestration))
            {
                continue;
            }

            var view = instance.ReadCustomStatusAs<OnboardingStatus>();
            var input = instance.ReadInputAs<OnboardingRequest>();
            var step = instance.RuntimeStatus == OrchestrationRuntimeStatus.Failed
                ? OnboardingSteps.FailedPrefix + "the onboarding stopped on an error (see the host log)"
                : view?.Step ?? (instance.RuntimeStatus == OrchestrationRuntimeStatus.Pending ? OnboardingSteps.Validating : instance.RuntimeStatus.ToString());
            if (status is not null && !string.Equals(Bucket(step), status, StringComparison.OrdinalIgnoreCase) && !string.Equals(step, status, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            list.Add(new
            {
                onboardingId = instance.InstanceId,
                email = view?.Email ?? input?.Email,
                name = view?.Name ?? input?.Name,
                step,
                initiatedBy = view?.InitiatedBy ?? input?.InitiatedBy,
                agentId = view?.AgentId,
                createdAt = instance.CreatedAt,
                updatedAt = view?.UpdatedAt ?? instance.LastUpdatedAt,
                expiresAt = view?.ExpiresAt,
                message = view?.Message,
                runtimeStatus = instance.RuntimeStatus.ToString(),
            });
        }

        list.Reverse();
        return Results.Ok(list);
    }

    [Function("GetOnboardingInvite")]
    public async Task<IResult> GetOnboardingInvite(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/onboardings/{id}/invite")] HttpRequest req,
        string id, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
        var status = instance?.Name == nameof(OnboardingOrchestration) ? instance.ReadCustomStatusAs<OnboardingStatus>() : null;
        if (status is null)
        {
            return Problems.NotFound($"No onboarding '{id}'.");
        }

        return status.SealedInvite is null
            ? Problems.Conflict($"The onboarding is at step {status.Step}; it has no open invite.", new { step = status.Step })
            : Results.Ok(new { inviteUrl = InviteUrl(status), expiresAt = status.ExpiresAt });
    }

    [Function("CancelOnboarding")]
    public Task<IResult> CancelOnboarding(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "admin/onboardings/{id}/cancel")] HttpRequest req,
        string id, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        RaiseAsync(client, id, Orchestrations.Onboarding.CancelOnboarding.EventName, new CancelOnboarding("Cancelled by the admin."), new { onboardingId = id }, cancellationToken);

    [Function("ResendOnboarding")]
    public Task<IResult> ResendOnboarding(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "admin/onboardings/{id}/resend")] HttpRequest req,
        string id, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var expiresAt = DateTimeOffset.UtcNow + options.Value.InviteExpiry;
        return RaiseAsync(client, id, ResendInvite.EventName, new ResendInvite(expiresAt), new { onboardingId = id, expiresAt }, cancellationToken);
    }

    internal static string Bucket(string step) => step.StartsWith(OnboardingSteps.FailedPrefix, StringComparison.Ordinal) ? "Failed" : step;

    private static IResult? Validate(OnboardingBody body)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(body.Email) || !ProposalValidator.IsEmail(body.Email.Trim()))
        {
            errors["email"] = ["a valid email address is required."];
        }

        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Trim().Length > 100 || body.Name.Any(char.IsControl))
        {
            errors["name"] = ["a name of at most 100 characters is required."];
        }

        return errors.Count > 0 ? Problems.Invalid(errors) : null;
    }

    private async Task<string> StartAsync(DurableTaskClient client, OnboardingBody body, string initiatedBy, string requestedBy, CancellationToken cancellationToken)
    {
        var id = $"{OnboardingIdPrefix}{Guid.NewGuid():N}";
        await client.ScheduleNewOrchestrationInstanceAsync(nameof(OnboardingOrchestration), new OnboardingRequest(body.Email!.Trim(), body.Name!.Trim(), initiatedBy, requestedBy), new StartOrchestrationOptions(id), cancellationToken);
        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, requestedBy, "onboarding.requested", null, id, $"{body.Email!.Trim()} ({initiatedBy} path)", null, "accepted"), cancellationToken);
        return id;
    }

    private static async Task<OnboardingStatus?> WaitForAsync(DurableTaskClient client, string id, Func<OnboardingStatus, bool> condition, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StepWait);
        try
        {
            while (true)
            {
                var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, timeout.Token);
                if (instance?.ReadCustomStatusAs<OnboardingStatus>() is { } status && condition(status))
                {
                    return status;
                }

                await Task.Delay(20, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private static async Task<IResult> RaiseAsync(DurableTaskClient client, string id, string eventName, object payload, object answer, CancellationToken cancellationToken)
    {
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
        if (instance is null || instance.Name != nameof(OnboardingOrchestration))
        {
            return Problems.NotFound($"No onboarding '{id}'.");
        }

        if (instance.IsCompleted)
        {
            var step = instance.ReadCustomStatusAs<OnboardingStatus>()?.Step ?? instance.RuntimeStatus.ToString();
            return Problems.Conflict($"The onboarding has ended ({step}).", new { step });
        }

        await client.RaiseEventAsync(id, eventName, payload, cancellationToken);
        return Results.Accepted((string?)null, answer);
    }

    private string InviteUrl(OnboardingStatus status) => options.Value.Link("/invite/" + box.Open(status.SealedInvite!, CreateInvite.Purpose));
}
