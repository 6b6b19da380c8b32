using CompanyHub.Activities;
using CompanyHub.Integrations;
using CompanyHub.Integrations.Storage;
using CompanyHub.Security;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Orchestrations.Knowledge;

/// <summary>
/// The input of <see cref="KnowledgeSyncOrchestration"/>: the Notion database (dashed id), who asked (<c>admin</c> or
/// <c>schedule</c>) and the run's own id (the instance id is the database's, reused by every sync of it).
/// </summary>
public sealed record KnowledgeSyncRequest(string DatabaseId, string By, string RunId);

/// <summary>
/// Where a sync stands (its custom status while it runs, its output when it ends): <see cref="State"/> is
/// <c>running</c>, <c>completed</c> or <c>failed</c>; the counts are of Notion pages; <see cref="Retries"/> counts the
/// transient Notion failures waited out; <see cref="Error"/> says why it failed (the service's status and message, never a key).
/// </summary>
public sealed record KnowledgeSyncProgress(
    string DatabaseId,
    string By,
    string RunId,
    string State,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt = null,
    int Batches = 0,
    int Seen = 0,
    int Added = 0,
    int Updated = 0,
    int Unchanged = 0,
    int Removed = 0,
    int Truncated = 0,
    int Retries = 0,
    string? Error = null)
{
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";

    /// <summary>The counts in words, as the audit log records them.</summary>
    public string Describe() =>
        $"{Seen} seen: {Added} added, {Updated} updated, {Unchanged} unchanged, {Removed} removed{(Truncated > 0 ? $", {Truncated} cut to {KnowledgeRules.MaxBody} characters" : "")}";
}

/// <summary>
/// Syncs a Notion database into the knowledge base, durably: one <see cref="SyncKnowledgeBatch"/> activity per page of
/// query results (Notion's 429 and 5xx waited out on durable timers that honour <c>Retry-After</c>, as the hub's other
/// Notion calls are; a fault of the hub's own, such as the store, retried by the SDK's retry policy), then
/// <see cref="RemoveMissingKnowledge"/> removes the pages the database no longer has (deleted or archived). Its custom
/// status is the progress after each page of results. One instance per database (<see cref="InstanceId"/>), so two
/// clicks or two replicas run one sync; a crash resumes it from the last committed page of results.
/// </summary>
public sealed class KnowledgeSyncOrchestration : TaskOrchestrator<KnowledgeSyncRequest, KnowledgeSyncProgress>
{
    public const string InstancePrefix = "knowledge-sync-";

    /// <summary>Attempts of one page of results that Notion answers with a transient failure.</summary>
    public const int MaxAttempts = 5;

    /// <summary>Faults that are not Notion's answer (the knowledge store, the host): 3 attempts on the SDK's retry policy.</summary>
    public static readonly TaskOptions FaultRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(3, TimeSpan.FromSeconds(1), 2.0));

    public static string InstanceId(string databaseId) => InstancePrefix + databaseId;

    /// <summary>
    /// Starts the sync of <paramref name="databaseId"/> unless one is running; returns whether this call started it
    /// (false: the running one stays, and is the one to watch).
    /// </summary>
    public static async Task<bool> StartAsync(DurableTaskClient client, string databaseId, string by, CancellationToken cancellationToken)
    {
        var id = InstanceId(databaseId);
        if (await client.GetInstanceAsync(id, getInputsAndOutputs: false, cancellationToken) is { IsCompleted: false })
        {
            return false;
        }

        await client.StartOnceAsync(nameof(KnowledgeSyncOrchestration), new KnowledgeSyncRequest(databaseId, by, Guid.NewGuid().ToString("N")), id, restartIfFinished: true, cancellationToken);
        return true;
    }

    public override async Task<KnowledgeSyncProgress> RunAsync(TaskOrchestrationContext context, KnowledgeSyncRequest input)
    {
        var progress = new KnowledgeSyncProgress(input.DatabaseId, input.By, input.RunId, KnowledgeSyncProgress.Running, Now(context));
        context.SetCustomStatus(progress);
        var seen = new List<string>();
        string? cursor = null;
        try
        {
            do
            {
                var request = new KnowledgeBatchRequest(input.DatabaseId, cursor, KnowledgeSync.MaxPages - seen.Count, input.By);
                KnowledgeBatchResult result = new(null, Error: "not attempted");
                for (var attempt = 1; attempt <= MaxAttempts; attempt++)
                {
                    result = await context.CallActivityAsync<KnowledgeBatchResult>(SyncKnowledgeBatch.Name, request, FaultRetry);
                    if (result.Batch is not null || !result.Transient || attempt == MaxAttempts)
                    {
                        break;
                    }

                    progress = progress with { Retries = progress.Retries + 1, Error = result.Error };
                    context.SetCustomStatus(progress);
                    await context.CreateTimer(RetryDelays.After(attempt, result.RetryAfterSeconds), CancellationToken.None);
                }

                if (result.Batch is not { } batch)
                {
                    return await EndAsync(context, progress with { Error = result.Error }, failed: true);
                }

                seen.AddRange(batch.PageIds);
                cursor = batch.NextCursor;
                progress = progress with
                {
                    Batches = progress.Batches + 1,
                    Seen = seen.Count,
                    Added = progress.Added + batch.Added,
                    Updated = progress.Updated + batch.Updated,
                    Unchanged = progress.Unchanged + batch.Unchanged,
                    Truncated = progress.Truncated + batch.Truncated,
                    Error = null,
                };
                context.SetCustomStatus(progress);
            }
            while (cursor is not null && seen.Count < KnowledgeSync.MaxPages);

            var removed = await context.CallActivityAsync<int>(RemoveMissingKnowledge.Name, new KnowledgeRemoval(input.DatabaseId, seen), FaultRetry);
            return await EndAsync(context, progress with { Removed = removed }, failed: false);
        }
        catch (TaskFailedException ex)
        {
            // The retries of a fault of the hub's own are used up: the sync ends, failed, and says why.
            return await EndAsync(context, progress with { Error = ex.FailureDetails.ErrorMessage }, failed: true);
        }
    }

    private static async Task<KnowledgeSyncProgress> EndAsync(TaskOrchestrationContext context, KnowledgeSyncProgress progress, bool failed)
    {
        var end = progress with { State = failed ? KnowledgeSyncProgress.Failed : KnowledgeSyncProgress.Completed, FinishedAt = Now(context) };
        await context.CallActivityAsync<bool>(RecordAudit.Name, new AuditRecord(end.FinishedAt!.Value, end.By, "knowledge.synced", null, end.DatabaseId,
            failed ? $"{end.Describe()} before failing: {end.Error}" : end.Describe(), null, failed ? "failed" : "ok"));

        // The final status and the end of the instance are committed together: a sync shown as ended has ended.
        context.SetCustomStatus(end);
        return end;
    }

    private static DateTimeOffset Now(TaskOrchestrationContext context) => new(context.CurrentUtcDateTime, TimeSpan.Zero);
}
