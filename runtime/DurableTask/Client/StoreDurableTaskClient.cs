using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serverless.DurableTask.Engine;
using DtfxHistoryEvent = DurableTask.Core.History.HistoryEvent;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.DurableTask.Client;

/// <summary>
/// Microsoft's <see cref="DurableTaskClient"/> over this runtime's store (SQLite or PostgreSQL): what
/// <c>AddDurableTaskClient(b => b.UseSqlite(...))</c> builds. Starting an instance writes its row and an
/// <c>ExecutionStarted</c> message in one transaction; events, terminate, suspend and resume are messages to the
/// instance; reads and waits go to the store directly (waits wake on the store's change notification, no polling).
/// </summary>
/// <remarks>
/// Where the SDK leaves the behaviour to the backend, this client keeps the runtime's: an event, terminate, suspend or
/// resume for an instance that does not exist throws <see cref="OrchestrationNotFoundException"/>, and for one that
/// has finished <see cref="OrchestrationStateConflictException"/>; starting an instance id that is still running throws
/// <see cref="OrchestrationAlreadyExistsException"/> (a finished one is replaced, unless its status is in
/// <see cref="StartOrchestrationOptions.DedupeStatuses"/>); purging an instance that has not finished purges nothing.
/// </remarks>
internal sealed class StoreDurableTaskClient : DurableTaskClient
{
    private static readonly OrchestrationRuntimeStatus[] NotFinished = [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended];
    private static readonly OrchestrationRuntimeStatus[] Finished = [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated];

    private readonly IOrchestrationStore _store;
    private readonly StoreDurableTaskClientOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Initializes a new instance of the <see cref="StoreDurableTaskClient"/> class; the SDK's client builder calls this through <c>ActivatorUtilities</c> with the client's name.</summary>
    [ActivatorUtilitiesConstructor]
    public StoreDurableTaskClient(string name, IOrchestrationStore store, IOptionsMonitor<StoreDurableTaskClientOptions> options)
        : this(name, store, (options ?? throw new ArgumentNullException(nameof(options))).Get(name))
    {
    }

    internal StoreDurableTaskClient(string name, IOrchestrationStore store, StoreDurableTaskClientOptions options)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options;
        _time = options.TimeProvider;
        Entities = new StoreDurableEntityClient(name, store, options.DataConverter, _time, options.MaxPayloadBytes);
    }

    /// <inheritdoc/>
    public override DurableEntityClient Entities { get; }

    private DataConverter Converter => _options.DataConverter;

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    /// <inheritdoc/>
    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(orchestratorName.Name, nameof(orchestratorName));
        cancellation.ThrowIfCancellationRequested();
        var instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
        ValidateInstanceId(instanceId);
        var dedupe = DedupeStatuses(options?.DedupeStatuses);
        if (dedupe.Count > 0
            && await _store.GetInstanceAsync(instanceId, cancellation).ConfigureAwait(false) is { IsEntity: false } existing
            && dedupe.Contains(existing.Status))
        {
            throw new OrchestrationAlreadyExistsException(instanceId, existing.Status);
        }

        var serialized = Converter.Serialize(input);
        PayloadLimit.Check(serialized, _options.MaxPayloadBytes, "orchestration input");
        var now = Now;
        var startAt = options?.StartAt?.UtcDateTime is { } at && at > now ? at : (DateTime?)null;
        var start = HistoryEvents.ExecutionStarted(orchestratorName.Name, instanceId, Guid.NewGuid().ToString("N"), serialized, now, startAt);
        var version = options?.Version?.Version ?? _options.DefaultVersion;
        if (!string.IsNullOrEmpty(version))
        {
            start.ExecutionStarted.Version = version;
        }

        if (options?.Tags is { Count: > 0 } tags)
        {
            start.ExecutionStarted.Tags.Add(tags.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal));
        }

        // The instance's trace begins here (under the caller's span, if any) and its context is stored with the start.
        using var span = DurableTaskTelemetry.StartCreate(orchestratorName.Name, instanceId);
        start.ExecutionStarted.ParentTraceContext = DurableTaskTelemetry.ContextOf(span);
        await _store.CreateInstanceAsync(new NewInstance(instanceId, orchestratorName.Name, serialized, null, start, startAt ?? now), replaceTerminal: true, cancellation).ConfigureAwait(false);
        return instanceId;
    }

    /// <inheritdoc/>
    public override async Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        var serialized = Converter.Serialize(eventPayload);
        PayloadLimit.Check(serialized, _options.MaxPayloadBytes, $"data of event '{eventName}'");
        await RequireNotFinishedAsync(instanceId, "raise an event to", cancellation).ConfigureAwait(false);
        var now = Now;
        await _store.SendMessageAsync(new OutgoingMessage(instanceId, HistoryEvents.EventRaised(eventName, serialized, now), now), cancellation).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var record = await _store.GetInstanceAsync(instanceId, cancellation).ConfigureAwait(false);
        return record is null || record.IsEntity ? null : ToMetadata(record, getInputsAndOutputs);
    }

    /// <inheritdoc/>
    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null)
    {
        var query = filter ?? new OrchestrationQuery();
        var statuses = query.Statuses?.ToList();
        return Pageable.Create(async (continuation, pageSize, cancellation) =>
        {
            // A query for other task hubs finds nothing in this one.
            if (query.TaskHubNames is { } hubs && hubs.Any() && !hubs.Contains(_store.HubName, StringComparer.OrdinalIgnoreCase))
            {
                return new Microsoft.DurableTask.Page<OrchestrationMetadata>([], null);
            }

            var page = await _store.QueryInstancesAsync(
                new InstanceQuery
                {
                    CreatedFrom = query.CreatedFrom,
                    CreatedTo = query.CreatedTo,
                    Statuses = statuses,
                    InstanceIdPrefix = query.InstanceIdPrefix,
                    PageSize = pageSize ?? query.PageSize,
                    FetchInputsAndOutputs = query.FetchInputsAndOutputs,
                    ContinuationToken = continuation ?? query.ContinuationToken,
                },
                entities: false,
                cancellation).ConfigureAwait(false);
            return new Microsoft.DurableTask.Page<OrchestrationMetadata>([.. page.Values.Select(r => ToMetadata(r, query.FetchInputsAndOutputs))], page.ContinuationToken);
        });
    }

    /// <inheritdoc/>
    public override async Task<IList<DtfxHistoryEvent>> GetOrchestrationHistoryAsync(string instanceId, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var history = await _store.GetHistoryAsync(instanceId, cancellation).ConfigureAwait(false);
        return [.. history.Select(HistoryEventConverter.Convert)];
    }

    /// <inheritdoc/>
    /// <remarks>The output becomes the terminate event's input, and so the instance's output. With <see cref="TerminateInstanceOptions.Recursive"/>, the sub-orchestrations it started that are still running are terminated too.</remarks>
    public override async Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        var output = Converter.Serialize(options?.Output);
        PayloadLimit.Check(output, _options.MaxPayloadBytes, "terminate output");
        await RequireNotFinishedAsync(instanceId, "terminate", cancellation).ConfigureAwait(false);
        await SendAsync(instanceId, HistoryEvents.Terminated(output, Now), cancellation).ConfigureAwait(false);
        if (options?.Recursive == true)
        {
            foreach (var child in await ChildrenAsync(instanceId, NotFinished, cancellation).ConfigureAwait(false))
            {
                try
                {
                    await TerminateInstanceAsync(child, options, cancellation).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OrchestrationNotFoundException or OrchestrationStateConflictException)
                {
                    // The child finished (or was purged) meanwhile: nothing to terminate.
                }
            }
        }
    }

    /// <inheritdoc/>
    public override async Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default)
    {
        await RequireNotFinishedAsync(instanceId, "suspend", cancellation).ConfigureAwait(false);
        await SendAsync(instanceId, HistoryEvents.Suspended(reason, Now), cancellation).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default)
    {
        await RequireNotFinishedAsync(instanceId, "resume", cancellation).ConfigureAwait(false);
        await SendAsync(instanceId, HistoryEvents.Resumed(reason, Now), cancellation).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Starts the orchestration again with its original input, as a new execution of the same instance id, or under a
    /// new id. Throws <see cref="OrchestrationNotFoundException"/> for an unknown instance and
    /// <see cref="OrchestrationAlreadyExistsException"/> when the target id is still running.
    /// </remarks>
    public override async Task<string> RestartAsync(string instanceId, bool restartWithNewInstanceId = false, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var record = await _store.GetInstanceAsync(instanceId, cancellation).ConfigureAwait(false);
        if (record is null || record.IsEntity)
        {
            throw new OrchestrationNotFoundException(instanceId);
        }

        var newId = restartWithNewInstanceId ? Guid.NewGuid().ToString("N") : instanceId;
        var now = Now;
        var start = HistoryEvents.ExecutionStarted(record.Name, newId, Guid.NewGuid().ToString("N"), record.Input, now);
        await _store.CreateInstanceAsync(new NewInstance(newId, record.Name, record.Input, null, start, now), replaceTerminal: true, cancellation).ConfigureAwait(false);
        return newId;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Deletes a finished orchestration (or an entity, by its <c>@name@key</c> id) with its history; an orchestration
    /// that has not finished is left alone and the answer counts 0. With <see cref="PurgeInstanceOptions.Recursive"/>,
    /// the finished sub-orchestrations it started go too.
    /// </remarks>
    public override async Task<PurgeResult> PurgeInstanceAsync(string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var children = options?.Recursive == true ? await ChildrenAsync(instanceId, Finished, cancellation).ConfigureAwait(false) : [];
        var purged = await _store.PurgeInstanceAsync(instanceId, cancellation).ConfigureAwait(false);
        foreach (var child in children)
        {
            purged += (await PurgeInstanceAsync(child, options, cancellation).ConfigureAwait(false)).PurgedInstanceCount;
        }

        return new PurgeResult(purged, isComplete: true);
    }

    /// <inheritdoc/>
    /// <remarks>Only finished orchestrations are purged, whatever the filter's statuses say; <see cref="PurgeInstancesFilter.Timeout"/> is not needed (one transaction).</remarks>
    public override async Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var purged = await _store.PurgeInstancesAsync(new PurgeFilter(filter.CreatedFrom, filter.CreatedTo, filter.Statuses?.ToList()), cancellation).ConfigureAwait(false);
        return new PurgeResult(purged, isComplete: true);
    }

    /// <inheritdoc/>
    /// <remarks>Throws <see cref="OrchestrationNotFoundException"/> when there is no such instance.</remarks>
    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        WaitAsync(instanceId, getInputsAndOutputs, m => m.RuntimeStatus != OrchestrationRuntimeStatus.Pending, cancellation);

    /// <inheritdoc/>
    /// <remarks>Throws <see cref="OrchestrationNotFoundException"/> when there is no such instance (or it is purged while waited for).</remarks>
    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        WaitAsync(instanceId, getInputsAndOutputs, m => m.IsCompleted, cancellation);

    /// <inheritdoc/>
    /// <remarks>The store belongs to the service provider (the worker shares it), so there is nothing to release here.</remarks>
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Checks an instance id: at most 256 characters, no '/', '\' or control characters, not starting with '@' (entities).</summary>
    internal static void ValidateInstanceId(string instanceId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        if (instanceId.Length > 256 || instanceId.StartsWith('@') || instanceId.Any(char.IsControl) || instanceId.Contains('/', StringComparison.Ordinal) || instanceId.Contains('\\', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Instance id '{instanceId}' is not valid: at most 256 characters, no '/', '\\' or control characters, and it cannot start with '@' (reserved for entities).", nameof(instanceId));
        }
    }

    private static HashSet<OrchestrationRuntimeStatus> DedupeStatuses(IReadOnlyList<string>? names)
    {
        var set = new HashSet<OrchestrationRuntimeStatus>();
        foreach (var name in names ?? [])
        {
            if (!Enum.TryParse<OrchestrationRuntimeStatus>(name, ignoreCase: true, out var status) || !Enum.IsDefined(status))
            {
                throw new ArgumentException($"Invalid orchestration runtime status: '{name}' for deduplication.", nameof(names));
            }

            set.Add(status);
        }

        return set;
    }

    private static bool IsFinished(OrchestrationRuntimeStatus status) =>
        status is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;

    private async Task<OrchestrationMetadata> WaitAsync(string instanceId, bool getInputsAndOutputs, Func<OrchestrationMetadata, bool> done, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        while (true)
        {
            // Register for the change before reading, so a change between the read and the wait is not missed.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            var changed = _store.WaitForInstanceChangeAsync(instanceId, stop.Token);
            var metadata = await GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation).ConfigureAwait(false)
                ?? throw new OrchestrationNotFoundException(instanceId);
            if (done(metadata))
            {
                await stop.CancelAsync().ConfigureAwait(false);
                return metadata;
            }

            await changed.ConfigureAwait(false);
        }
    }

    private async Task RequireNotFinishedAsync(string instanceId, string verb, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var record = await _store.GetInstanceAsync(instanceId, cancellation).ConfigureAwait(false);
        if (record is null || record.IsEntity)
        {
            throw new OrchestrationNotFoundException(instanceId);
        }

        if (IsFinished(record.Status))
        {
            throw new OrchestrationStateConflictException(instanceId, record.Status, $"Cannot {verb} instance '{instanceId}': it has already finished ({record.Status}).");
        }
    }

    private Task SendAsync(string instanceId, P.HistoryEvent e, CancellationToken cancellation) =>
        _store.SendMessageAsync(new OutgoingMessage(instanceId, e, Now), cancellation);

    /// <summary>Finds the sub-orchestrations an instance started that have one of the statuses (a scan of those statuses).</summary>
    private async Task<List<string>> ChildrenAsync(string parentInstanceId, OrchestrationRuntimeStatus[] statuses, CancellationToken cancellation)
    {
        var children = new List<string>();
        string? token = null;
        do
        {
            var page = await _store.QueryInstancesAsync(new InstanceQuery { Statuses = statuses, PageSize = 1000, ContinuationToken = token }, entities: false, cancellation).ConfigureAwait(false);
            children.AddRange(page.Values.Where(r => r.ParentInstanceId == parentInstanceId).Select(r => r.InstanceId));
            token = page.ContinuationToken;
        }
        while (token is not null);
        return children;
    }

    private OrchestrationMetadata ToMetadata(InstanceRecord r, bool withData) => new(r.Name, r.InstanceId)
    {
        // As the SDK's clients: the converter (and so ReadInputAs/ReadOutputAs/ReadCustomStatusAs) only when the data was asked for.
        DataConverter = withData ? Converter : null,
        RuntimeStatus = r.Status,
        CreatedAt = new DateTimeOffset(DateTime.SpecifyKind(r.CreatedAt, DateTimeKind.Utc)),
        LastUpdatedAt = new DateTimeOffset(DateTime.SpecifyKind(r.LastUpdatedAt, DateTimeKind.Utc)),
        SerializedInput = withData ? r.Input : null,
        SerializedOutput = withData ? r.Output : null,
        SerializedCustomStatus = r.CustomStatus,
        FailureDetails = r.Failure,
    };
}
