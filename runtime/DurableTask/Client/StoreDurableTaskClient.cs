using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Entities;

namespace Serverless.DurableTask.Client;

/// <summary>The client over the store this process's worker uses.</summary>
internal sealed class StoreDurableTaskClient : DurableTaskClient
{
    private readonly IOrchestrationStore _store;
    private readonly DataConverter _converter;
    private readonly TimeProvider _time;

    public StoreDurableTaskClient(IOrchestrationStore store, DataConverter converter, TimeProvider? time = null)
    {
        _store = store;
        _converter = converter;
        _time = time ?? TimeProvider.System;
        Entities = new EntityClient(store, converter, _time);
    }

    public override string Name => _store.HubName;

    public override DurableEntityClient Entities { get; }

    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        var instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
        ValidateInstanceId(instanceId);
        var serialized = _converter.Serialize(input);
        var now = _time.GetUtcNow().UtcDateTime;
        var start = new ExecutionStartedEvent(orchestratorName.Name, serialized, Guid.NewGuid().ToString("N")) { Timestamp = now };
        var visibleAt = options?.StartAt?.UtcDateTime ?? now;
        await _store.CreateInstanceAsync(new NewInstance(instanceId, orchestratorName.Name, serialized, null, start, visibleAt), replaceTerminal: true, cancellation).ConfigureAwait(false);
        return instanceId;
    }

    public override async Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        await RequireRunningAsync(instanceId, "raise an event to", cancellation).ConfigureAwait(false);
        await _store.SendMessageAsync(new OutgoingMessage(instanceId, new EventRaisedEvent(eventName, _converter.Serialize(eventPayload)) { Timestamp = _time.GetUtcNow().UtcDateTime }, _time.GetUtcNow().UtcDateTime), cancellation).ConfigureAwait(false);
    }

    public override async Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var record = await _store.GetInstanceAsync(instanceId, cancellation).ConfigureAwait(false);
        return record is null || record.IsEntity ? null : ToMetadata(record, getInputsAndOutputs);
    }

    public override async Task<Page<OrchestrationMetadata>> QueryInstancesAsync(OrchestrationQuery query, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var page = await _store.QueryInstancesAsync(query, entities: false, cancellation).ConfigureAwait(false);
        return new Page<OrchestrationMetadata>(page.Values.Select(r => ToMetadata(r, query.FetchInputsAndOutputs)).ToList(), page.ContinuationToken);
    }

    public override async Task<IReadOnlyList<HistoryEventInfo>> GetInstanceHistoryAsync(string instanceId, CancellationToken cancellation = default)
    {
        var history = await _store.GetHistoryAsync(instanceId, cancellation).ConfigureAwait(false);
        return history.Select(HistoryEventInfoMapper.ToInfo).ToList();
    }

    public override async Task TerminateInstanceAsync(string instanceId, object? output = null, CancellationToken cancellation = default)
    {
        await RequireRunningAsync(instanceId, "terminate", cancellation).ConfigureAwait(false);
        await SendControlAsync(instanceId, new ExecutionTerminatedEvent(_converter.Serialize(output)), cancellation).ConfigureAwait(false);
    }

    public override async Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default)
    {
        await RequireRunningAsync(instanceId, "suspend", cancellation).ConfigureAwait(false);
        await SendControlAsync(instanceId, new ExecutionSuspendedEvent(reason), cancellation).ConfigureAwait(false);
    }

    public override async Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default)
    {
        await RequireRunningAsync(instanceId, "resume", cancellation).ConfigureAwait(false);
        await SendControlAsync(instanceId, new ExecutionResumedEvent(reason), cancellation).ConfigureAwait(false);
    }

    public override async Task<string> RestartAsync(string instanceId, bool restartWithNewInstanceId = false, CancellationToken cancellation = default)
    {
        var record = await _store.GetInstanceAsync(instanceId, cancellation).ConfigureAwait(false);
        if (record is null || record.IsEntity)
        {
            throw new OrchestrationNotFoundException(instanceId);
        }

        var newId = restartWithNewInstanceId ? Guid.NewGuid().ToString("N") : instanceId;
        var now = _time.GetUtcNow().UtcDateTime;
        var start = new ExecutionStartedEvent(record.Name, record.Input, Guid.NewGuid().ToString("N")) { Timestamp = now };
        await _store.CreateInstanceAsync(new NewInstance(newId, record.Name, record.Input, null, start, now), replaceTerminal: true, cancellation).ConfigureAwait(false);
        return newId;
    }

    public override async Task<PurgeResult> PurgeInstanceAsync(string instanceId, CancellationToken cancellation = default) =>
        new(await _store.PurgeInstanceAsync(instanceId, cancellation).ConfigureAwait(false));

    public override async Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, CancellationToken cancellation = default) =>
        new(await _store.PurgeInstancesAsync(filter, cancellation).ConfigureAwait(false));

    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        WaitAsync(instanceId, getInputsAndOutputs, m => m.RuntimeStatus != OrchestrationRuntimeStatus.Pending, cancellation);

    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        WaitAsync(instanceId, getInputsAndOutputs, m => m.IsCompleted, cancellation);

    internal static void ValidateInstanceId(string instanceId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        if (instanceId.Length > 256 || instanceId.StartsWith('@') || instanceId.Any(char.IsControl) || instanceId.Contains('/', StringComparison.Ordinal) || instanceId.Contains('\\', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Instance id '{instanceId}' is not valid: at most 256 characters, no '/', '\\' or control characters, and it cannot start with '@' (reserved for entities).", nameof(instanceId));
        }
    }

    private async Task<OrchestrationMetadata> WaitAsync(string instanceId, bool getInputsAndOutputs, Func<OrchestrationMetadata, bool> done, CancellationToken cancellation)
    {
        while (true)
        {
            // Register for the change before reading, so a change between the read and the wait is not missed.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            var changed = _store.WaitForInstanceChangeAsync(instanceId, stop.Token);
            var metadata = await GetInstanceAsync(instanceId, getInputsAndOutputs, cancellation).ConfigureAwait(false)
                ?? throw new OrchestrationNotFoundException(instanceId);
            if (done(metadata))
            {
                await stop.CancelAsync().ConfigureAwait(false);
                return metadata;
            }

            await changed.ConfigureAwait(false);
        }
    }

    private async Task RequireRunningAsync(string instanceId, string verb, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var record = await _store.GetInstanceAsync(instanceId, cancellation).ConfigureAwait(false);
        if (record is null || record.IsEntity)
        {
            throw new OrchestrationNotFoundException(instanceId);
        }

        if (record.Status.IsTerminal())
        {
            throw new OrchestrationStateConflictException(instanceId, record.Status, $"Cannot {verb} instance '{instanceId}': it has already finished ({record.Status}).");
        }
    }

    private Task SendControlAsync(string instanceId, HistoryEvent e, CancellationToken cancellation)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return _store.SendMessageAsync(new OutgoingMessage(instanceId, e with { Timestamp = now }, now), cancellation);
    }

    private OrchestrationMetadata ToMetadata(InstanceRecord r, bool withData) => new(r.Name, r.InstanceId)
    {
        RuntimeStatus = r.Status,
        CreatedAt = new DateTimeOffset(r.CreatedAt, TimeSpan.Zero),
        LastUpdatedAt = new DateTimeOffset(r.LastUpdatedAt, TimeSpan.Zero),
        SerializedInput = withData ? r.Input : null,
        SerializedOutput = withData ? r.Output : null,
        SerializedCustomStatus = r.CustomStatus,
        FailureDetails = r.Failure,
        ParentInstanceId = r.ParentInstanceId,
        DataConverter = _converter,
    };

    private sealed class EntityClient(IOrchestrationStore store, DataConverter converter, TimeProvider time) : DurableEntityClient
    {
        public override Task SignalEntityAsync(EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null, CancellationToken cancellation = default)
        {
            ArgumentException.ThrowIfNullOrEmpty(operationName);
            var now = time.GetUtcNow().UtcDateTime;
            var request = new EntityRequestEvent(Guid.NewGuid().ToString("N"), operationName, converter.Serialize(input), null) { Timestamp = now };
            return store.SendMessageAsync(new OutgoingMessage(id.ToString(), request, options?.SignalTime?.UtcDateTime ?? now), cancellation);
        }

        public override async Task<EntityMetadata?> GetEntityAsync(EntityInstanceId id, bool includeState = true, CancellationToken cancellation = default)
        {
            var record = await store.GetInstanceAsync(id.ToString(), cancellation).ConfigureAwait(false);
            if (record is null || !record.IsEntity)
            {
                return null;
            }

            return await ToMetadataAsync(record, includeState, cancellation).ConfigureAwait(false);
        }

        public override async Task<Page<EntityMetadata>> QueryEntitiesAsync(EntityQuery query, CancellationToken cancellation = default)
        {
            ArgumentNullException.ThrowIfNull(query);
            var page = await store.QueryInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = query.InstanceIdStartsWith, PageSize = query.PageSize, ContinuationToken = query.ContinuationToken }, entities: true, cancellation).ConfigureAwait(false);
            var list = new List<EntityMetadata>(page.Values.Count);
            foreach (var record in page.Values)
            {
                list.Add(await ToMetadataAsync(record, query.IncludeState, cancellation).ConfigureAwait(false));
            }

            return new Page<EntityMetadata>(list, page.ContinuationToken);
        }

        private async Task<EntityMetadata> ToMetadataAsync(InstanceRecord record, bool includeState, CancellationToken cancellation) =>
            new(EntityInstanceId.FromString(record.InstanceId))
            {
                LastModifiedTime = new DateTimeOffset(record.LastUpdatedAt, TimeSpan.Zero),
                SerializedState = includeState ? record.EntityState : null,
                BacklogQueueSize = await store.GetBacklogAsync(record.InstanceId, cancellation).ConfigureAwait(false),
                DataConverter = converter,
            };
    }
}
