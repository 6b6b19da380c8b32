using CompanyHub.Integrations;
using Microsoft.DurableTask;

namespace CompanyHub.Activities;

/// <summary>The input of <see cref="SyncKnowledgeBatch"/>: one page of a Notion database's query results, from <see cref="Cursor"/>, at most <see cref="Limit"/> pages.</summary>
public sealed record KnowledgeBatchRequest(string DatabaseId, string? Cursor, int Limit, string By);

/// <summary>What <see cref="SyncKnowledgeBatch"/> did: the batch, or Notion's failure (whether trying again may work, the wait it asked for).</summary>
public sealed record KnowledgeBatchResult(KnowledgeSyncBatch? Batch, bool Transient = false, double? RetryAfterSeconds = null, string? Error = null);

/// <summary>The input of <see cref="RemoveMissingKnowledge"/>: the database and the Notion pages its sync saw.</summary>
public sealed record KnowledgeRemoval(string DatabaseId, IReadOnlyList<string> Seen);

/// <summary>Syncs one page of a Notion database's query results into the knowledge base. Notion's failures are answered, not thrown, so that the sync decides on retries.</summary>
public sealed class SyncKnowledgeBatch(KnowledgeSync sync) : TaskActivity<KnowledgeBatchRequest, KnowledgeBatchResult>
{
    public const string Name = nameof(SyncKnowledgeBatch);

    public override async Task<KnowledgeBatchResult> RunAsync(TaskActivityContext context, KnowledgeBatchRequest input)
    {
        try
        {
            return new KnowledgeBatchResult(await sync.SyncBatchAsync(input.DatabaseId, input.Cursor, input.Limit, input.By, context.CancellationToken()));
        }
        catch (IntegrationException ex)
        {
            return new KnowledgeBatchResult(null, ex.IsTransient, ex.RetryAfter?.TotalSeconds, ex.Message);
        }
    }
}

/// <summary>Removes the pages synced from a database that its sync did not see; returns how many.</summary>
public sealed class RemoveMissingKnowledge(KnowledgeSync sync) : TaskActivity<KnowledgeRemoval, int>
{
    public const string Name = nameof(RemoveMissingKnowledge);

    public override Task<int> RunAsync(TaskActivityContext context, KnowledgeRemoval input) =>
        sync.RemoveMissingAsync(input.DatabaseId, input.Seen, context.CancellationToken());
}
