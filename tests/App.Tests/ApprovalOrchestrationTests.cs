using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CompanyHub.Activities;
using CompanyHub.Entities;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Security;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Tests;

public sealed class ApprovalOrchestrationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Approve_RunsActionOnce_AndRecordsResult()
    {
        var runner = new ScriptedRunner(new ActionResult(true, "message id m-1"));
        await using var hub = await AppHub.StartAsync(runner);
        var id = await StartAsync(hub, Email("bob@example.com", "Hello"));

        await WaitForStatusAsync(hub, id, ProposalStatus.Pending);
        await hub.Client.RaiseEventAsync(id, ApprovalDecision.EventName, new ApprovalDecision(ApprovalDecision.Approve, DecidedBy: "user:alice"));
        var view = await CompleteAsync(hub, id);

        Assert.Equal(ProposalStatus.Succeeded, view.Status);
        Assert.Equal("message id m-1", view.Result);
        Assert.Single(runner.Calls);
        Assert.Equal($"{id}:1", runner.Calls.Single().IdempotencyKey);
        var audit = await hub.Audit.QueryAsync(new AuditQuery(AgentId: "alice-example-com"));
        Assert.Contains(audit, a => a.Action == "proposal.succeeded" && a.Target == id);
        Assert.Contains(audit, a => a.Action == "proposal.approved" && a.Actor == "user:alice");
    }

    [Fact]
    public async Task EditThenApprove_RunsTheEditedRevision()
    {
        var runner = new ScriptedRunner(new ActionResult(true, "sent"));
        await using var hub = await AppHub.StartAsync(runner);
        var id = await StartAsync(hub, Email("bob@example.com", "Draft"));
        await WaitForStatusAsync(hub, id, ProposalStatus.Pending);

        await hub.Client.RaiseEventAsync(id, ApprovalDecision.EventName, new ApprovalDecision(ApprovalDecision.Edit, new JsonObject { ["subject"] = "Final" }));
        await hub.Client.RaiseEventAsync(id, ApprovalDecision.EventName, new ApprovalDecision(ApprovalDecision.Approve));
        var view = await CompleteAsync(hub, id);

        Assert.Equal(ProposalStatus.Succeeded, view.Status);
        Assert.Equal(2, view.Revision);
        Assert.Equal("Final", runner.Calls.Single().Payload["subject"]!.GetValue<string>());
        Assert.Equal($"{id}:2", runner.Calls.Single().IdempotencyKey);
        Assert.Contains("**Subject:** Final", view.Card, StringComparison.Ordinal);
        Assert.Equal("Draft", view.Revisions.Single().Payload["subject"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reject_NeverRunsTheAction()
    {
        var runner = new ScriptedRunner(new ActionResult(true));
        await using var hub = await AppHub.StartAsync(runner);
        var id = await StartAsync(hub, Email("bob@example.com", "No"));
        await WaitForStatusAsync(hub, id, ProposalStatus.Pending);

        await hub.Client.RaiseEventAsync(id, ApprovalDecision.EventName, new ApprovalDecision(ApprovalDecision.Reject, Reason: "not now"));
        var view = await CompleteAsync(hub, id);

        Assert.Equal(ProposalStatus.Rejected, view.Status);
        Assert.Equal("not now", view.Reason);
        Assert.Empty(runner.Calls);
    }

    [Fact]
    public async Task NoDecision_ExpiresOnDurableTimer()
    {
        var runner = new ScriptedRunner(new ActionResult(true));
        await using var hub = await AppHub.StartAsync(runner);
        var id = await StartAsync(hub, Email("bob@example.com", "Late"), TimeSpan.FromMilliseconds(500));

        var view = await CompleteAsync(hub, id);

        Assert.Equal(ProposalStatus.Expired, view.Status);
        Assert.Empty(runner.Calls);
    }

    [Fact]
    public async Task TransientFailures_AreRetried_ThenSucceed()
    {
        var runner = new ScriptedRunner(
            new ActionResult(false, Error: "503 from Gmail", Transient: true),
            new ActionResult(false, Error: "429 rate limited", Transient: true, RetryAfterSeconds: 0.2),
            new ActionResult(true, "sent"));
        await using var hub = await AppHub.StartAsync(runner);
        var id = await StartAsync(hub, Email("bob@example.com", "Retry"));
        await WaitForStatusAsync(hub, id, ProposalStatus.Pending);

        await hub.Client.RaiseEventAsync(id, ApprovalDecision.EventName, new ApprovalDecision(ApprovalDecision.Approve));
        var view = await CompleteAsync(hub, id, TimeSpan.FromSeconds(30));

        Assert.Equal(ProposalStatus.Succeeded, view.Status);
        Assert.Equal(3, view.Attempts);
        Assert.Equal(3, runner.Calls.Count);
    }

    [Fact]
    public async Task PermanentFailure_FailsWithTheToolsMessage()
    {
        var runner = new ScriptedRunner(new ActionResult(false, Error: "Gmail: Invalid To header"));
        await using var hub = await AppHub.StartAsync(runner);
        var id = await StartAsync(hub, Email("bob@example.com", "Bad"));
        await WaitForStatusAsync(hub, id, ProposalStatus.Pending);

        await hub.Client.RaiseEventAsync(id, ApprovalDecision.EventName, new ApprovalDecision(ApprovalDecision.Approve));
        var view = await CompleteAsync(hub, id);

        Assert.Equal(ProposalStatus.Failed, view.Status);
        Assert.Equal("Gmail: Invalid To header", view.Error);
        Assert.Single(runner.Calls);
    }

    [Fact]
    public async Task MessageAgent_Approved_LandsInPeerInbox()
    {
        var runner = new ScriptedRunner();
        await using var hub = await AppHub.StartAsync(runner);
        await hub.Client.Entities.SignalEntityAsync(AgentEntity.Id("bob-example-com"), nameof(AgentEntity.Create),
            new AgentProfile("bob-example-com", "bob@example.com", "Bob", new AgentIdentity("Bob's Assistant", "helpful"), ["orchestrator", "*"], AgentAutonomy.AlwaysAsk, "/data/workspaces/bob-example-com"));
        var id = await StartAsync(hub, ("message_agent", new JsonObject { ["agentId"] = "bob-example-com", ["text"] = "Status on Acme?" }));
        await WaitForStatusAsync(hub, id, ProposalStatus.Pending);

        await hub.Client.RaiseEventAsync(id, ApprovalDecision.EventName, new ApprovalDecision(ApprovalDecision.Approve));
        var view = await CompleteAsync(hub, id);

        Assert.Equal(ProposalStatus.Succeeded, view.Status);
        using var cts = new CancellationTokenSource(Wait);
        while (true)
        {
            var bob = await hub.Client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id("bob-example-com"), cts.Token);
            if (bob?.State?.Inbox is { Count: 1 } inbox)
            {
                Assert.Equal("alice-example-com", inbox[0].FromAgentId);
                Assert.Equal("Status on Acme?", inbox[0].Text);
                break;
            }

            await Task.Delay(20, cts.Token);
        }

        Assert.Empty(runner.Calls);
    }

    private static (string Type, JsonObject Payload) Email(string to, string subject) =>
        ("send_email", new JsonObject { ["to"] = to, ["subject"] = subject, ["body"] = "Hi,\nthis is a test." });

    private static async Task<string> StartAsync(AppHub hub, (string Type, JsonObject Payload) proposal, TimeSpan? expiry = null)
    {
        var id = "p-" + Guid.NewGuid().ToString("N");
        var request = new ProposalRequest(id, "alice-example-com", "alice@example.com", proposal.Type, proposal.Payload, ProposedBy.Agent("alice-example-com"), DateTimeOffset.UtcNow + (expiry ?? TimeSpan.FromDays(7)));
        await hub.Client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestration), request, new StartOrchestrationOptions(id));
        return id;
    }

    private static async Task WaitForStatusAsync(AppHub hub, string id, string status)
    {
        using var cts = new CancellationTokenSource(Wait);
        while ((await hub.Client.GetInstanceAsync(id, getInputsAndOutputs: true, cts.Token))?.ReadCustomStatusAs<ProposalView>()?.Status != status)
        {
            await Task.Delay(10, cts.Token);
        }
    }

    private static async Task<ProposalView> CompleteAsync(AppHub hub, string id, TimeSpan? wait = null)
    {
        using var cts = new CancellationTokenSource(wait ?? Wait);
        var done = await hub.Client.WaitForInstanceCompletionAsync(id, true, cts.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        return done.ReadOutputAs<ProposalView>()!;
    }

    private sealed class ScriptedRunner(params ActionResult[] results) : IProposalActionRunner
    {
        private int _next;

        public ConcurrentQueue<ActionRequest> Calls { get; } = new();

        public Task<ActionResult> RunAsync(ActionRequest request, CancellationToken cancellationToken)
        {
            Calls.Enqueue(request);
            var i = Interlocked.Increment(ref _next) - 1;
            return Task.FromResult(results.Length == 0 ? new ActionResult(true) : results[Math.Min(i, results.Length - 1)]);
        }
    }
}
