using System.Text.Json;
using DurableTask.Core;
using DurableTask.Core.Entities;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;
using Serverless.DurableTask.Engine;

namespace Serverless.DurableTask.Client;

/// <summary>
/// Microsoft's <see cref="DurableEntityClient"/> over this runtime's store (the <see cref="DurableTaskClient.Entities"/>
/// of <see cref="StoreDurableTaskClient"/>). A signal is the message an orchestration's signal is: an
/// <c>EventRaised</c> to the entity's instance id <c>@name@key</c>, named <c>op</c> (or <c>op@&lt;time&gt;</c> for a
/// scheduled signal, which the store then holds back until that time), whose input is DTFx's request JSON, written by
/// DTFx's own <see cref="ClientEntityHelpers"/> so that it is exactly what the entity protocol reads.
/// </summary>
internal sealed class StoreDurableEntityClient : DurableEntityClient
{
    private const int DefaultPageSize = 100;

    private readonly IOrchestrationStore _store;
    private readonly DataConverter _converter;
    private readonly TimeProvider _time;
    private readonly int _maxPayloadBytes;

    public StoreDurableEntityClient(string name, IOrchestrationStore store, DataConverter converter, TimeProvider time, int maxPayloadBytes = PayloadLimit.DefaultMaxBytes)
        : base(name)
    {
        _store = store;
        _converter = converter;
        _time = time;
        _maxPayloadBytes = maxPayloadBytes;
    }

    /// <inheritdoc/>
    public override async Task SignalEntityAsync(EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id.Name, nameof(id));
        ArgumentNullException.ThrowIfNull(id.Key, nameof(id));
        ArgumentException.ThrowIfNullOrEmpty(operationName);
        cancellation.ThrowIfCancellationRequested();
        var serialized = _converter.Serialize(input);
        PayloadLimit.Check(serialized, _maxPayloadBytes, $"input of entity operation '{operationName}'");
        var now = _time.GetUtcNow().UtcDateTime;
        var instanceId = id.ToString();

        // No cap on the delay: DTFx caps it for queues that cannot hold a message longer; the stores can.
        var signalTime = options?.SignalTime?.UtcDateTime;
        var message = ClientEntityHelpers.EmitOperationSignal(
            new OrchestrationInstance { InstanceId = instanceId },
            Guid.NewGuid(),
            operationName,
            serialized,
            signalTime is { } at ? (at, at) : null,
            parentTraceContext: null,
            requestTime: _time.GetUtcNow(),
            createTrace: false);
        var visibleAt = signalTime is { } due && due > now ? due : now;
        await _store.SendMessageAsync(new OutgoingMessage(instanceId, HistoryEvents.EventRaised(message.EventName, message.AsSerializedString(), now), visibleAt), cancellation).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>An entity without state does not exist for the client (null), as in the SDK's backends.</remarks>
    public override async Task<EntityMetadata?> GetEntityAsync(EntityInstanceId id, bool includeState = true, CancellationToken cancellation = default)
    {
        var record = await GetRecordAsync(id, cancellation).ConfigureAwait(false);
        return record is null ? null : await ToMetadataAsync(record, includeState, cancellation).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async Task<EntityMetadata<T>?> GetEntityAsync<T>(EntityInstanceId id, bool includeState = true, CancellationToken cancellation = default)
    {
        var record = await GetRecordAsync(id, cancellation).ConfigureAwait(false);
        return record is null ? null : await ToMetadataAsync<T>(record, includeState, cancellation).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override AsyncPageable<EntityMetadata> GetAllEntitiesAsync(EntityQuery? filter = null) =>
        Query(filter, (record, includeState, cancellation) => ToMetadataAsync(record, includeState, cancellation));

    /// <inheritdoc/>
    public override AsyncPageable<EntityMetadata<T>> GetAllEntitiesAsync<T>(EntityQuery? filter = null) =>
        Query(filter, (record, includeState, cancellation) => ToMetadataAsync<T>(record, includeState, cancellation));

    /// <inheritdoc/>
    /// <remarks>
    /// Removes entities that hold nothing: no state, no lock, no waiting operation. Releases locks held by
    /// orchestrations that no longer run (finished or purged) by sending the entity DTFx's release message.
    /// </remarks>
    public override async Task<CleanEntityStorageResult> CleanEntityStorageAsync(CleanEntityStorageRequest? request = null, bool continueUntilComplete = true, CancellationToken cancellation = default)
    {
        var r = request ?? CleanEntityStorageRequest.Default;
        int removed = 0, released = 0;
        var token = r.ContinuationToken;
        do
        {
            var page = await _store.QueryInstancesAsync(new InstanceQuery { PageSize = DefaultPageSize, ContinuationToken = token, FetchInputsAndOutputs = true }, entities: true, cancellation).ConfigureAwait(false);
            foreach (var record in page.Values)
            {
                var lockedBy = LockOwner(record.EntityScheduler);
                if (r.ReleaseOrphanedLocks && lockedBy is not null && await IsOrphanedAsync(lockedBy, cancellation).ConfigureAwait(false))
                {
                    var release = ClientEntityHelpers.EmitUnlockForOrphanedLock(new OrchestrationInstance { InstanceId = record.InstanceId }, lockedBy);
                    var now = _time.GetUtcNow().UtcDateTime;
                    await _store.SendMessageAsync(new OutgoingMessage(record.InstanceId, HistoryEvents.EventRaised(release.EventName, release.AsSerializedString(), now), now), cancellation).ConfigureAwait(false);
                    released++;
                }
                else if (r.RemoveEmptyEntities && record.EntityState is null && lockedBy is null
                    && await _store.GetBacklogAsync(record.InstanceId, cancellation).ConfigureAwait(false) == 0)
                {
                    removed += await _store.PurgeInstanceAsync(record.InstanceId, cancellation).ConfigureAwait(false);
                }
            }

            token = page.ContinuationToken;
        }
        while (continueUntilComplete && token is not null);

        return new CleanEntityStorageResult { EmptyEntitiesRemoved = removed, OrphanedLocksReleased = released, ContinuationToken = token };
    }

    /// <summary>
    /// Reads the lock owner out of the entity protocol's scheduler JSON, if it names one as <c>lockedBy</c> (DTFx's
    /// name for it); anything else reads as unlocked. The format belongs to the entity protocol code: this only looks.
    /// </summary>
    internal static string? LockOwner(string? scheduler)
    {
        if (string.IsNullOrEmpty(scheduler))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(scheduler);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("lockedBy", out var owner)
                && owner.ValueKind == JsonValueKind.String
                ? owner.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool IsFinished(Microsoft.DurableTask.Client.OrchestrationRuntimeStatus status) =>
        status is Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Completed or Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Failed
            or Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Terminated;

    private async Task<bool> IsOrphanedAsync(string owner, CancellationToken cancellation) =>
        await _store.GetInstanceAsync(owner, cancellation).ConfigureAwait(false) is not { IsEntity: false } instance || IsFinished(instance.Status);

    private async Task<InstanceRecord?> GetRecordAsync(EntityInstanceId id, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(id.Name, nameof(id));
        var record = await _store.GetInstanceAsync(id.ToString(), cancellation).ConfigureAwait(false);
        return record is { IsEntity: true, EntityState: not null } ? record : null;
    }

    private AsyncPageable<TMetadata> Query<TMetadata>(EntityQuery? filter, Func<InstanceRecord, bool, CancellationToken, Task<TMetadata>> select)
        where TMetadata : notnull
    {
        var includeState = filter?.IncludeState ?? true;
        var includeTransient = filter?.IncludeTransient ?? false;
        var from = filter?.LastModifiedFrom?.UtcDateTime;
        var to = filter?.LastModifiedTo?.UtcDateTime;
        return Pageable.Create(async (continuation, pageSize, cancellation) =>
        {
            var page = await _store.QueryInstancesAsync(
                new InstanceQuery
                {
                    InstanceIdPrefix = filter?.InstanceIdStartsWith,
                    PageSize = pageSize ?? filter?.PageSize ?? DefaultPageSize,
                    ContinuationToken = continuation ?? filter?.ContinuationToken,
                    FetchInputsAndOutputs = true,
                },
                entities: true,
                cancellation).ConfigureAwait(false);
            var values = new List<TMetadata>(page.Values.Count);
            foreach (var record in page.Values)
            {
                // Transient entities (no state: only a lock or queued operations) only when asked for; the time range
                // is on the last change, which the store does not index, so it filters here.
                if ((record.EntityState is null && !includeTransient) || (from is { } f && record.LastUpdatedAt < f) || (to is { } t && record.LastUpdatedAt > t))
                {
                    continue;
                }

                values.Add(await select(record, includeState, cancellation).ConfigureAwait(false));
            }

            return new Microsoft.DurableTask.Page<TMetadata>(values, page.ContinuationToken);
        });
    }

    private async Task<EntityMetadata> ToMetadataAsync(InstanceRecord record, bool includeState, CancellationToken cancellation) =>
        new(EntityInstanceId.FromString(record.InstanceId), includeState && record.EntityState is { } state ? new SerializedData(state, _converter) : null)
        {
            LastModifiedTime = Utc(record.LastUpdatedAt),
            BacklogQueueSize = await _store.GetBacklogAsync(record.InstanceId, cancellation).ConfigureAwait(false),
            LockedBy = LockOwner(record.EntityScheduler),
        };

    private async Task<EntityMetadata<T>> ToMetadataAsync<T>(InstanceRecord record, bool includeState, CancellationToken cancellation)
    {
        var id = EntityInstanceId.FromString(record.InstanceId);
        var backlog = await _store.GetBacklogAsync(record.InstanceId, cancellation).ConfigureAwait(false);
        var lockedBy = LockOwner(record.EntityScheduler);
        return includeState && record.EntityState is { } state
            ? new EntityMetadata<T>(id, _converter.Deserialize<T>(state)) { LastModifiedTime = Utc(record.LastUpdatedAt), BacklogQueueSize = backlog, LockedBy = lockedBy }
            : new EntityMetadata<T>(id) { LastModifiedTime = Utc(record.LastUpdatedAt), BacklogQueueSize = backlog, LockedBy = lockedBy };
    }

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));
}
