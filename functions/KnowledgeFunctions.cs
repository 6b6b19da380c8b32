using CompanyHub.Integrations;
using CompanyHub.Integrations.Storage;
using CompanyHub.Orchestrations;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace CompanyHub.Functions;

/// <summary>The body of <c>POST /api/admin/knowledge</c> and <c>PUT /api/admin/knowledge/{pageId}</c>: a page's title and text (or Markdown).</summary>
public sealed record KnowledgePageBody(string? Title, string? Body);

/// <summary>The body of <c>POST /api/admin/knowledge/sync</c>: the Notion database to sync (default: <c>KNOWLEDGE_NOTION_DATABASE_ID</c>).</summary>
public sealed record KnowledgeSyncBody(string? DatabaseId);

/// <summary>The company knowledge base, managed by the admin; every agent searches it with <c>search_knowledge</c>.</summary>
public sealed class KnowledgeFunctions(IKnowledgeBase knowledge, KnowledgeSync sync, IAuditLog audit, IConfiguration configuration, ILogger<KnowledgeFunctions> logger)
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

    [Function("SyncKnowledge")]
    public async Task<IResult> SyncKnowledge(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "admin/knowledge/sync")] HttpRequest req, KnowledgeSyncBody? body, CancellationToken cancellationToken)
    {
        var databaseId = body?.DatabaseId is { Length: > 0 } given ? given.Trim() : configuration[KnowledgeSync.DatabaseSetting];
        if (string.IsNullOrWhiteSpace(databaseId) || databaseId.Length > 200 || FreeText.HasControlCharacters(databaseId))
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["databaseId"] = [$"databaseId is required (a Notion database id or URL, at most 200 characters) unless {KnowledgeSync.DatabaseSetting} is set."] });
        }

        try
        {
            var result = await sync.SyncAsync(databaseId, "admin", cancellationToken);
            await AuditAsync(req, "knowledge.synced", databaseId, Describe(result), cancellationToken);
            return Results.Ok(result);
        }
        catch (ToolNotConfiguredException ex)
        {
            return Problems.Unavailable(ex.Message);
        }
        catch (IntegrationException ex)
        {
            // Nothing of a failed sync is lost: the pages synced before the failure stay, a repeat finishes the rest.
            return Results.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Bad Gateway",
                detail: ex is { StatusCode: { } status, ServiceMessage: { } said } ? $"{ex.Service} answered {(int)status}: {said}" : $"{ex.Service}: {ex.ServiceMessage ?? ex.Message}");
        }
    }

    /// <summary>Syncs the Notion database named by <c>KNOWLEDGE_NOTION_DATABASE_ID</c>, when it is set, every hour.</summary>
    [Function("SyncKnowledgeOnSchedule")]
    public async Task SyncKnowledgeOnSchedule([TimerTrigger("0 41 * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        if (configuration[KnowledgeSync.DatabaseSetting] is not { Length: > 0 } databaseId)
        {
            return;
        }

        try
        {
            var result = await sync.SyncAsync(databaseId, "schedule", cancellationToken);
            await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "schedule", "knowledge.synced", null, databaseId, Describe(result), null, "ok"), cancellationToken);
        }
        catch (IntegrationException ex)
        {
            logger.LogWarning("The scheduled knowledge sync of Notion database {DatabaseId} failed: {Reason}", databaseId, ex.Message);
            await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "schedule", "knowledge.synced", null, databaseId, ex.Message, null, "failed"), cancellationToken);
        }
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

    private static string Describe(KnowledgeSyncResult r) =>
        $"{r.Added} added, {r.Updated} updated, {r.Unchanged} unchanged, {r.Removed} removed{(r.Truncated > 0 ? $", {r.Truncated} cut to {KnowledgeRules.MaxBody} characters" : "")}";

    private Task AuditAsync(HttpRequest req, string action, string target, string? detail, CancellationToken cancellationToken) =>
        audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "admin", action, null, target, detail, TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
}
