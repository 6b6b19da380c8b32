using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Abstractions;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Grpc;
using Serverless.DurableTask.Engine;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.DurableTask.Worker;

/// <summary>
/// Runs one orchestration step through Microsoft's replay engine (<see cref="GrpcOrchestrationRunner"/>, the seam the
/// isolated Functions worker uses) and turns the actions it returns into a store commit: history, activity work,
/// timers, events, sub-orchestrations, completion. With extended sessions the runner keeps the replayed state of an
/// idle instance and the step passes only the new events; the history is loaded when the runner asks for it.
/// </summary>
internal sealed class OrchestrationStepRunner
{
    private static readonly Duration ReorderWindow = Duration.FromTimeSpan(TimeSpan.Zero);

    private readonly IDurableTaskFactory _factory;
    private readonly IServiceProvider _services;
    private readonly ExtendedSessionsCache? _cache;
    private readonly double _sessionIdleSeconds;
    private readonly int _sessionLimit;

    // What the runner's session cache holds for each instance, as of our last commit: a session is used only when the
    // store's row still matches (another replica may have run steps since, or a commit may have failed).
    private readonly ConcurrentDictionary<string, SessionMark> _sessions = new(StringComparer.Ordinal);
    private readonly DurableTaskWorkerOptions.VersioningOptions? _versioning;

    public OrchestrationStepRunner(IDurableTaskFactory factory, IServiceProvider services, StoreDurableTaskWorkerOptions options)
    {
        _factory = factory;
        _services = services;
        _versioning = options.Versioning;
        if (options.ExtendedSessionsEnabled && options.ExtendedSessionIdleTimeout > TimeSpan.Zero)
        {
            _cache = new ExtendedSessionsCache();
            _sessionIdleSeconds = options.ExtendedSessionIdleTimeout.TotalSeconds;
            _sessionLimit = Math.Max(0, options.ExtendedSessionCacheSize);
        }
    }

    /// <summary>Gets how many instances have a cached session.</summary>
    public int CachedSessions => _sessions.Count;

    /// <summary>Drops an instance's cached session (after a failed commit, or when the instance finished).</summary>
    public void Evict(string instanceId)
    {
        if (_sessions.TryRemove(instanceId, out _) && _cache is { IsInitialized: true })
        {
            _cache.GetOrInitializeCache(_sessionIdleSeconds).Remove(instanceId);
        }
    }

    /// <summary>Runs a step; <paramref name="loadHistory"/> is called when the runner needs the past events.</summary>
    public async Task<StepOutcome> RunAsync(InstanceRecord instance, IReadOnlyList<P.HistoryEvent> newEvents, Func<Task<IReadOnlyList<P.HistoryEvent>>> loadHistory)
    {
        // An orchestrator this build does not have is left for a build that has it (a rolling deploy: an older
        // replica sees an instance of a newer orchestrator); one that cannot be created or breaks the runner fails its
        // instance (a poison step would otherwise be retried until it is dead-lettered).
        ITaskOrchestrator? orchestrator;
        try
        {
            if (!_factory.TryCreateOrchestrator(new TaskName(instance.Name), _services, out orchestrator) || orchestrator is null)
            {
                return StepOutcome.Defer($"this build has no orchestrator named '{instance.Name}'");
            }
        }
        catch (Exception ex)
        {
            return StepOutcome.Failed(instance, ex);
        }

        var mark = _sessions.TryGetValue(instance.InstanceId, out var m) && m.ExecutionId == instance.ExecutionId && m.HistoryCount == instance.HistoryCount ? m : null;
        P.OrchestratorResponse response;
        IReadOnlyList<P.HistoryEvent>? past = mark is null ? await loadHistory().ConfigureAwait(false) : null;
        var started = mark is null ? StartedEvent(past, newEvents) : null;
        var traceContext = mark is null ? started?.ParentTraceContext : mark.TraceContext;

        // A cached session exists only for an instance whose version this build accepted.
        if (mark is null && VersionRefusal(started?.Version) is { } refusal)
        {
            return _versioning!.FailureStrategy == DurableTaskWorkerOptions.VersionFailureStrategy.Fail
                ? StepOutcome.Failed(instance, "VersionMismatch", $"The orchestration's {refusal}.")
                : StepOutcome.Defer($"the orchestration's {refusal}");
        }

        // The step's span (the caller ends it after the commit) is current while the replay engine runs the orchestrator.
        var span = DurableTaskTelemetry.StartStep(instance.Name, instance.InstanceId, traceContext);
        if (mark is not null)
        {
            response = Run(instance, orchestrator, past: null, newEvents, cache: true);
            if (response.RequiresHistory)
            {
                past = await loadHistory().ConfigureAwait(false);
                response = Run(instance, orchestrator, past, newEvents, cache: true);
            }
        }
        else
        {
            // A new session only while the cache has room: the runner's cache evicts by idle time alone.
            response = Run(instance, orchestrator, past, newEvents, cache: _sessions.Count < _sessionLimit);
        }

        var parentExecutionId = mark?.ParentExecutionId ?? started?.ParentInstance?.OrchestrationInstance?.ExecutionId;
        return new StepOutcome(response, parentExecutionId) { TraceContext = traceContext, Span = span };
    }

    /// <summary>Remembers that the runner's cached session for this instance matches the committed row.</summary>
    public void Committed(InstanceRecord committed, string? parentExecutionId, bool finished, P.TraceContext? traceContext)
    {
        if (_cache is null || finished || (!_sessions.ContainsKey(committed.InstanceId) && _sessions.Count >= _sessionLimit))
        {
            Evict(committed.InstanceId);
            return;
        }

        _sessions[committed.InstanceId] = new SessionMark(committed.ExecutionId, committed.HistoryCount, parentExecutionId, traceContext);
    }

    private P.OrchestratorResponse Run(InstanceRecord instance, ITaskOrchestrator orchestrator, IReadOnlyList<P.HistoryEvent>? past, IReadOnlyList<P.HistoryEvent> newEvents, bool cache)
    {
        var request = new P.OrchestratorRequest
        {
            InstanceId = instance.InstanceId,
            ExecutionId = instance.ExecutionId,
            EntityParameters = new P.OrchestratorEntityParameters { EntityMessageReorderWindow = ReorderWindow },
        };
        if (past is not null)
        {
            request.PastEvents.AddRange(past);
        }

        request.NewEvents.AddRange(newEvents);
        if (_cache is not null)
        {
            request.Properties["IsExtendedSession"] = Value.ForBool(cache);
            request.Properties["ExtendedSessionIdleTimeoutInSeconds"] = Value.ForNumber(_sessionIdleSeconds);
            request.Properties["IncludeState"] = Value.ForBool(past is not null);
        }

        try
        {
            var encoded = GrpcOrchestrationRunner.LoadAndRun(Convert.ToBase64String(request.ToByteArray()), orchestrator, _cache, _services);
            return P.OrchestratorResponse.Parser.ParseFrom(Convert.FromBase64String(encoded));
        }
        catch (Exception ex)
        {
            Evict(instance.InstanceId);
            return StepOutcome.FailedResponse(instance.InstanceId, HistoryEvents.Failure(ex));
        }
    }

    /// <summary>
    /// Why this build may not run an instance of <paramref name="version"/> under its versioning options (as
    /// Microsoft's worker decides: <c>Strict</c> runs its own version only, <c>CurrentOrOlder</c> also older ones); null
    /// when it may. An instance without a version is the oldest.
    /// </summary>
    private string? VersionRefusal(string? version)
    {
        if (_versioning is not { MatchStrategy: not DurableTaskWorkerOptions.VersionMatchStrategy.None } v)
        {
            return null;
        }

        var comparison = TaskOrchestrationVersioningUtils.CompareVersions(version ?? string.Empty, v.Version ?? string.Empty);
        return v.MatchStrategy switch
        {
            DurableTaskWorkerOptions.VersionMatchStrategy.Strict when comparison != 0 => $"version '{version}' is not this build's version '{v.Version}'",
            DurableTaskWorkerOptions.VersionMatchStrategy.CurrentOrOlder when comparison > 0 => $"version '{version}' is newer than this build's version '{v.Version}'",
            _ => null,
        };
    }

    private static P.ExecutionStartedEvent? StartedEvent(IReadOnlyList<P.HistoryEvent>? past, IReadOnlyList<P.HistoryEvent> newEvents) =>
        (past ?? []).Concat(newEvents).FirstOrDefault(e => e.EventTypeCase == P.HistoryEvent.EventTypeOneofCase.ExecutionStarted)?.ExecutionStarted;

    /// <summary>Gets the due time of a scheduled entity signal (event name <c>op@&lt;ISO time&gt;</c>), or null.</summary>
    public static DateTime? SignalDueTime(string eventName) =>
        eventName.StartsWith("op@", StringComparison.Ordinal)
        && DateTime.TryParse(eventName.AsSpan(3), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var due)
            ? due
            : null;

    private sealed record SessionMark(string ExecutionId, int HistoryCount, string? ParentExecutionId, P.TraceContext? TraceContext);
}

/// <summary>What a step produced: the runner's response, or one that fails the instance.</summary>
internal sealed record StepOutcome(P.OrchestratorResponse Response, string? ParentExecutionId)
{
    /// <summary>Gets why this build cannot run the step (it is left for a build that can), or null.</summary>
    public string? DeferredBecause { get; init; }

    public static StepOutcome Defer(string reason) => new(new P.OrchestratorResponse(), null) { DeferredBecause = reason };

    /// <summary>Gets the instance's trace context (from its ExecutionStarted event), or null.</summary>
    public P.TraceContext? TraceContext { get; init; }

    /// <summary>Gets the step's span, which the caller ends once the step is committed; null when nobody listens.</summary>
    public Activity? Span { get; init; }

    /// <summary>Gets the trace context the step's work carries: the step's span, else the instance's own context.</summary>
    public P.TraceContext? WorkContext => DurableTaskTelemetry.ContextOf(Span) ?? TraceContext;

    public static StepOutcome Failed(InstanceRecord instance, string errorType, string message) =>
        new(FailedResponse(instance.InstanceId, HistoryEvents.Failure(errorType, message)), null);

    public static StepOutcome Failed(InstanceRecord instance, Exception ex) => new(FailedResponse(instance.InstanceId, HistoryEvents.Failure(ex)), null);

    /// <summary>A response whose only action completes the orchestration as failed.</summary>
    public static P.OrchestratorResponse FailedResponse(string instanceId, P.TaskFailureDetails failure) => new()
    {
        InstanceId = instanceId,
        Actions =
        {
            new P.OrchestratorAction
            {
                CompleteOrchestration = new P.CompleteOrchestrationAction { OrchestrationStatus = P.OrchestrationStatus.Failed, FailureDetails = failure },
            },
        },
    };
}
