using CompanyHub.Integrations;
using CompanyHub.Integrations.Notion;
using CompanyHub.Integrations.Storage;
using CompanyHub.Orchestrations;
using CompanyHub.Orchestrations.Knowledge;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace CompanyHub.Functions;

/// <summary>The body of <c>POST /api/admin/knowledge</c> and <c>PUT /api/admin/knowledge/{pageId}</c>: a page's title and text (or Markdown).</summary>
public sealed record KnowledgePageBody(string? Title, string? Body);

/// <summary>The body of <c>POST /api/admin/knowledge/sync</c>: the Notion database to sync (default: <c>KNOWLEDGE_NOTION_DATABASE_ID</c>).</summary>
public sealed record KnowledgeSyncBody(string? DatabaseId);

/// <summary>A sync of a Notion database as <c>GET /api/admin/knowledge/sync/{databaseId}</c> answers it.</summary>
public sealed record KnowledgeSyncView(
    string DatabaseId, string InstanceId, string Status, string? By, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt,
    int Batches, int Seen, int Added, int Updated, int Unchanged, int Removed, int Truncated, int Retries, string? LastError, string StatusUrl);

/// <summary>The company knowledge base, managed by the admin; every agent searches it with <c>search_knowledge</c>.</summary>
public sealed class KnowledgeFunctions(IKnowledgeBase knowledge, INotionClient notion, IAuditLog audit, IConfiguration configuration, ILogger<KnowledgeFunctions> logger)
{
    [Function("ListKnowledge")]
    public async Task<IResult> ListKnowledge(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/knowledge")] HttpRequest req, CancellationToken cancellationToken, string? q = null, int top = 500) =>
        q is null
            ? Results.Ok(await knowledge.ListAsync(top, cancellationToken))
            : Results.Ok(await knowledge.SearchAsync(q, Math.Clamp(top, 1, 50), cancellationToken));

    [Function("CreateKnowledgePage")]
    public async Task<IResult> CreateKnowledgePage(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "admin/knowledge")] HttpRequest req, KnowledgePageBody body, CancellationToken cancellationToken)
    {
        if (Invalid(body) is { } invalid)
        {
            return invalid;
        }

        if (await knowledge.CountAsync(cancellationToken) >= KnowledgeRules.MaxPages)
        {
            return Problems.Conflict($"The knowledge base holds at most {KnowledgeRules.MaxPages} pages: delete some first.");
        }

        var page = new KnowledgePage(KnowledgeRules.NewId(), body.Title!.Trim(), body.Body!, KnowledgeSources.Manual, null, null, DateTimeOffset.UtcNow, "admin");
        await knowledge.PutAsync(page, cancellationToken);
        await AuditAsync(req, "knowledge.page.created", page.Id, $"'{Short(page.Title)}', {page.Body.Length} characters", cancellationToken);
        return Results.Created($"/api/admin/knowledge/{page.Id}", page);
    }

    [Function("GetKnowledgePage")]
    public async Task<IResult> GetKnowledgePage(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/knowledge/{pageId}")] HttpRequest req, string pageId, CancellationToken cancellationToken) =>
        await knowledge.GetAsync(pageId, cancellationToken) is { } page ? Results.Ok(page) : NotFound(pageId);

    [Function("UpdateKnowledgePage")]
    public async Task<IResult> UpdateKnowledgePage(
        [HttpTrigger(AuthorizationLevel.Admin, "put", Route = "admin/knowledge/{pageId}")] HttpRequest req, string pageId, KnowledgePageBody body, CancellationToken cancellationToken)
    {
        if (Invalid(body) is { } invalid)
        {
            return invalid;
        }

        if (await knowledge.GetAsync(pageId, cancellationToken) is not { } existing)
        {
            return NotFound(pageId);
        }

        if (existing.Source != KnowledgeSources.Manual)
        {
            return Problems.Conflict($"Page '{pageId}' is synced from {existing.Source} (page {existing.SourceId}): change it there and sync again.", new { source = existing.Source, sourceId = existing.SourceId });
        }

        var page = existing with { Title = body.Title!.Trim(), Body = body.Body!, UpdatedAt = DateTimeOffset.UtcNow, UpdatedBy = "admin" };
        await knowledge.PutAsync(page, cancellationToken);
        await AuditAsync(req, "knowledge.page.updated", page.Id, $"'{Short(page.Title)}', {page.Body.Length} characters", cancellationToken);
        return Results.Ok(page);
    }

    [Function("DeleteKnowledgePage")]
    public async Task<IResult> DeleteKnowledgePage(
        [HttpTrigger(AuthorizationLevel.Admin, "delete", Route = "admin/knowledge/{pageId}")] HttpRequest req, string pageId, CancellationToken cancellationToken)
    {
        if (!await knowledge.DeleteAsync(pageId, cancellationToken))
        {
            return NotFound(pageId);
        }

        await AuditAsync(req, "knowledge.page.deleted", pageId, null, cancellationToken);
        return Results.NoContent();
    }

    /// <summary>
    /// Starts the durable sync of a Notion database (<see cref="KnowledgeSyncOrchestration"/>) and answers <c>202</c> with
    /// its status URL at once; while one runs for that database, answers <c>202</c> with the running one (<c>started: false</c>).
    /// </summary>
    [Function("SyncKnowledge")]
    public async Task<IResult> SyncKnowledge(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "admin/knowledge/sync")] HttpRequest req, KnowledgeSyncBody? body,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (DatabaseIdOf(body?.DatabaseId is { Length: > 0 } given ? given : configuration[KnowledgeSync.DatabaseSetting], out var invalid) is not { } databaseId)
        {
            return invalid!;
        }

        if (!notion.IsConfigured)
        {
            return Problems.Unavailable("Notion is not configured: set NOTION_API_KEY.");
        }

        var started = await KnowledgeSyncOrchestration.StartAsync(client, databaseId, "admin", cancellationToken);
        if (started)
        {
            await AuditAsync(req, "knowledge.sync.started", databaseId, null, cancellationToken);
        }

        var status = await client.GetInstanceAsync(KnowledgeSyncOrchestration.InstanceId(databaseId), getInputsAndOutputs: true, cancellationToken);
        return Results.Accepted(StatusPath(databaseId), new { started, sync = status is null ? null : View(status) });
    }

    /// <summary>Every Notion database's last (or running) sync, the newest first.</summary>
    [Function("ListKnowledgeSyncs")]
    public static async Task<IResult> ListKnowledgeSyncs(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/knowledge/sync")] HttpRequest req,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var list = new List<KnowledgeSyncView>();
        await foreach (var instance in client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = KnowledgeSyncOrchestration.InstancePrefix, FetchInputsAndOutputs = true }).WithCancellation(cancellationToken))
        {
            if (instance.Name == nameof(KnowledgeSyncOrchestration) && View(instance) is { } view)
            {
                list.Add(view);
            }
        }

        return Results.Ok(list.OrderByDescending(v => v.StartedAt));
    }

    /// <summary>The last (or running) sync of one Notion database.</summary>
    [Function("GetKnowledgeSync")]
    public static async Task<IResult> GetKnowledgeSync(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/knowledge/sync/{databaseId}")] HttpRequest req, string databaseId,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (DatabaseIdOf(databaseId, out var invalid) is not { } id)
        {
            return invalid!;
        }

        return await client.GetInstanceAsync(KnowledgeSyncOrchestration.InstanceId(id), getInputsAndOutputs: true, cancellationToken) is { } instance && View(instance) is { } view
            ? Results.Ok(view)
            : Problems.NotFound($"Notion database '{id}' has not been synced.");
    }

    /// <summary>
    /// Starts the sync of the Notion database named by <c>KNOWLEDGE_NOTION_DATABASE_ID</c>, when it is set, every hour. The
    /// timer's occurrence is claimed in the store (one replica runs it); the sync itself is the durable orchestration,
    /// which a sync already running (the admin's) absorbs.
    /// </summary>
    [Function("SyncKnowledgeOnSchedule")]
    public async Task SyncKnowledgeOnSchedule([TimerTrigger("0 41 * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (configuration[KnowledgeSync.DatabaseSetting] is not { Length: > 0 } setting)
        {
            return;
        }

        if (DatabaseIdOf(setting, out _) is not { } databaseId)
        {
            logger.LogWarning("{Setting} is not a Notion database id or URL; the scheduled knowledge sync does not run.", KnowledgeSync.DatabaseSetting);
            return;
        }

        if (!await KnowledgeSyncOrchestration.StartAsync(client, databaseId, "schedule", cancellationToken))
        {
            logger.LogInformation("The scheduled knowledge sync of Notion database {DatabaseId} is already running.", databaseId);
        }
    }

    /// <summary>The sync as the admin sees it, from its instance: its progress (custom status, or output once it ended) and how the instance ended.</summary>
    internal static KnowledgeSyncView? View(OrchestrationMetadata instance)
    {
        var input = instance.ReadInputAs<KnowledgeSyncRequest>();
        var progress = instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed
            ? instance.ReadOutputAs<KnowledgeSyncProgress>()
            : instance.ReadCustomStatusAs<KnowledgeSyncProgress>();
        if (progress is not null && input is not null && progress.RunId != input.RunId)
        {
            // The progress of the previous sync of the database: this one has not reported yet.
            progress = null;
        }

        if (progress is null && input is null)
        {
            return null;
        }

        // An instance that failed outside the sync's own handling (a bug) or was terminated: failed, with what is known.
        var broken = instance.RuntimeStatus is OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;
        return new KnowledgeSyncView(
            progress?.DatabaseId ?? input!.DatabaseId,
            instance.InstanceId,
            broken ? KnowledgeSyncProgress.Failed : instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? progress?.State ?? KnowledgeSyncProgress.Completed : KnowledgeSyncProgress.Running,
            progress?.By ?? input?.By,
            progress?.StartedAt ?? instance.CreatedAt,
            progress?.FinishedAt ?? (broken ? instance.LastUpdatedAt : null),
            progress?.Batches ?? 0, progress?.Seen ?? 0, progress?.Added ?? 0, progress?.Updated ?? 0, progress?.Unchanged ?? 0, progress?.Removed ?? 0,
            progress?.Truncated ?? 0, progress?.Retries ?? 0,
            progress?.Error ?? (broken ? $"the sync stopped: {instance.RuntimeStatus} (see the host log)" : null),
            StatusPath(progress?.DatabaseId ?? input!.DatabaseId));
    }

    private static string StatusPath(string databaseId) => $"/api/admin/knowledge/sync/{databaseId}";

    /// <summary>A Notion database id or URL in its dashed form; null with a 400 when it is missing or names none.</summary>
    private static string? DatabaseIdOf(string? given, out IResult? invalid)
    {
        invalid = null;
        var text = given?.Trim();
        if (!string.IsNullOrEmpty(text) && text.Length <= 200 && !FreeText.HasControlCharacters(text))
        {
            try
            {
                return KnowledgeSync.NormalizeDatabaseId(text);
            }
            catch (ArgumentException)
            {
                // Answered below.
            }
        }

        invalid = Problems.Invalid(new Dictionary<string, string[]> { ["databaseId"] = [$"databaseId is required: a Notion database id (32 hex digits) or its URL, at most 200 characters, unless {KnowledgeSync.DatabaseSetting} is set."] });
        return null;
    }

    private static IResult? Invalid(KnowledgePageBody body)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(body.Title) || body.Title.Trim().Length > KnowledgeRules.MaxTitle || FreeText.HasControlCharacters(body.Title))
        {
            errors["title"] = [$"title is required: 1 to {KnowledgeRules.MaxTitle} characters, no control characters."];
        }

        if (body.Body is not { } text || text.Length > KnowledgeRules.MaxBody || FreeText.HasControlCharacters(text))
        {
            errors["body"] = [$"body is required (\"\" for none): at most {KnowledgeRules.MaxBody} characters, no control characters but tabs and line breaks."];
        }

        return errors.Count == 0 ? null : Problems.Invalid(errors);
    }

    private static IResult NotFound(string pageId) => Problems.NotFound($"There is no knowledge page '{pageId}'.");

    private static string Short(string text) => text.Length <= 80 ? text : text[..80] + "…";

    private Task AuditAsync(HttpRequest req, string action, string target, string? detail, CancellationToken cancellationToken) =>
        audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "admin", action, null, target, detail, TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
}
