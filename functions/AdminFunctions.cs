using CompanyHub.Entities;
using CompanyHub.Integrations.Attio;
using CompanyHub.Integrations.Google;
using CompanyHub.Integrations.Llm;
using CompanyHub.Integrations.Notion;
using CompanyHub.Orchestrations;
using CompanyHub.Orchestrations.Agents;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Azure.Functions.Worker;

namespace CompanyHub.Functions;

/// <summary>The body of <c>POST /api/admin/broadcast</c>.</summary>
public sealed record BroadcastBody(string? Text);

/// <summary>The admin's tools: audit log, broadcast, health, dead letters.</summary>
public sealed class AdminFunctions(IAuditLog audit, Serverless.DurableTask.Client.DurableStoreDiagnostics diagnostics, ILlmClient llm, IGoogleOAuthClient google, INotionClient notion, IAttioClient attio, DevSignIn devSignIn, IEnumerable<Microsoft.Extensions.Hosting.IHostedService> hosted)
{
    [Function("AdminAudit")]
    public async Task<IResult> AdminAudit(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/audit")] HttpRequest req, CancellationToken cancellationToken,
        string? agentId = null, DateTimeOffset? from = null, DateTimeOffset? to = null, int top = 100, string? action = null) =>
        Results.Ok(await audit.QueryAsync(new AuditQuery(agentId, from, to, top, action), cancellationToken));

    [Function("Broadcast")]
    public async Task<IResult> Broadcast(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "admin/broadcast")] HttpRequest req,
        BroadcastBody body, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (!MessageFunctions.IsValidText(body.Text, out var invalid))
        {
            return invalid;
        }

        var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(BroadcastOrchestration), new BroadcastRequest(body.Text.Trim(), SystemPrompts.OrchestratorId), cancellation: cancellationToken);
        var directory = (await client.Entities.GetEntityAsync<DirectoryState>(DirectoryEntity.Id, cancellationToken))?.State ?? new DirectoryState();
        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "admin", "broadcast.sent", null, id, body.Text.Length > 200 ? body.Text[..200] + "…" : body.Text, TokenAuthenticator.AddressOf(req.HttpContext), "accepted"), cancellationToken);
        return Results.Accepted($"/runtime/webhooks/durabletask/instances/{id}", new
        {
            broadcastId = id,
            agents = directory.Agents.Values.Count(a => a.Status == AgentStatus.Active && a.AgentId != SystemPrompts.OrchestratorId),
        });
    }

    [Function("AdminHealth")]
    public async Task<IResult> AdminHealth(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/health")] HttpRequest req,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var health = await diagnostics.GetHealthAsync(cancellationToken);
        var orchestrator = (await client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(SystemPrompts.OrchestratorId), cancellationToken))?.State;
        return Results.Ok(new
        {
            store = await diagnostics.IsReadyAsync(cancellationToken) ? "ready" : "not ready",
            queues = new { health.PendingMessages, health.PendingActivities, health.LockedInstances },
            deadLetters = health.DeadLetters,
            instances = health.Instances,
            credentials = new
            {
                llm = llm.IsConfigured,
                llmModel = llm.Model,
                google = google.IsConfigured,
                notion = notion.IsConfigured,
                attio = attio.IsConfigured,
                senderAccount = orchestrator?.SealedGoogleRefreshToken is not null ? orchestrator.Email : null,
            },
            devSignIn = devSignIn.Current(),
            deferred = hosted.OfType<Serverless.DurableTask.Worker.StoreDurableTaskWorker>().FirstOrDefault()?.Deferred is { } d
                ? new { d.Instances, d.Steps, d.Last }
                : null,
        });
    }

    [Function("AdminDeadLetters")]
    public async Task<IResult> AdminDeadLetters(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/dead-letters")] HttpRequest req,
        CancellationToken cancellationToken, int top = 50) =>
        Results.Ok(await diagnostics.GetDeadLettersAsync(Math.Clamp(top, 1, 500), cancellationToken));
}
