using System.Diagnostics;
using System.Diagnostics.Metrics;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.DurableTask;

/// <summary>
/// The runtime's metrics and traces, under the name <see cref="Name"/> (a <see cref="Meter"/> and an
/// <see cref="ActivitySource"/>). Microsoft's SDK starts its spans only in its gRPC worker, which this runtime replaces
/// with its own dispatcher (its replay runner, which we call, starts none), so the dispatcher starts them here, named
/// and tagged as the SDK names and tags them (<c>orchestration:Name</c>, <c>activity:Name</c>, <c>durabletask.*</c>).
/// The W3C trace context travels through the stores in the SDK's protobuf fields: the instance's in its
/// <c>ExecutionStarted</c> event (<c>parentTraceContext</c>), an activity's with its work row, so that every step
/// and activity of an instance, on any replica, joins the one trace begun when the instance was created.
/// Nothing here carries an input, an output or an error message: names, statuses and counts only.
/// </summary>
public static class DurableTaskTelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "Serverless.DurableTask";

    /// <summary>The tag naming the orchestration, activity or entity (the SDK's span attribute name).</summary>
    public const string TaskNameTag = "durabletask.task.name";

    internal const string StatusTag = "durabletask.runtime_status";
    internal const string OutcomeTag = "durabletask.outcome";
    internal const string StoreTag = "durabletask.store";

    private static readonly Meter Meter = new(Name);

    /// <summary>Bucket bounds for durations in seconds: those OpenTelemetry's HTTP conventions advise, up to a minute.</summary>
    public static IReadOnlyList<double> SecondsBuckets { get; } = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60];

    private static readonly InstrumentAdvice<double> Seconds = new() { HistogramBucketBoundaries = SecondsBuckets };

    /// <summary>Gets the source of the runtime's spans.</summary>
    public static ActivitySource Source { get; } = new(Name);

    internal static readonly Counter<long> OrchestrationsStarted = Meter.CreateCounter<long>(
        "durabletask.orchestration.started", "{orchestration}", "Orchestration executions started (their first step ran).");

    internal static readonly Counter<long> OrchestrationsEnded = Meter.CreateCounter<long>(
        "durabletask.orchestration.ended", "{orchestration}", "Orchestration executions that ended, by runtime status (Completed, Failed, Terminated).");

    internal static readonly Histogram<double> StepDuration = Meter.CreateHistogram<double>(
        "durabletask.orchestration.step.duration", "s", "Time to run one orchestration step through the replay engine and commit it.", tags: null, Seconds);

    internal static readonly Histogram<double> ActivityDuration = Meter.CreateHistogram<double>(
        "durabletask.activity.duration", "s", "Time an activity ran, by name and outcome (completed, failed).", tags: null, Seconds);

    internal static readonly Counter<long> EntityOperations = Meter.CreateCounter<long>(
        "durabletask.entity.operations", "{operation}", "Entity operations run, by entity name.");

    internal static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>(
        "durabletask.dead_lettered", "{work_item}", "Work items moved to the dead letters after too many deliveries.");

    internal static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>(
        "durabletask.store.commit.duration", "s", "Time of one store transaction that commits work (a group commit on SQLite).", tags: null, Seconds);

    internal static readonly Histogram<long> CommitBatchSize = Meter.CreateHistogram<long>(
        "durabletask.store.commit.batch_size", "{write}", "Writes (steps, activity results, new instances, events) committed in one transaction.", tags: null,
        new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });

    internal static readonly Counter<long> LeaseQueries = Meter.CreateCounter<long>(
        "durabletask.store.lease_queries", "{query}", "Queries a host made for work to lease, by queue (orchestration, activity) and result (leased, empty); many empty ones mean hosts race for the same work.");

    internal static KeyValuePair<string, object?> TaskName(string name) => new(TaskNameTag, name);

    /// <summary>Records one lease query on <paramref name="queue"/> that leased <paramref name="leased"/> items.</summary>
    internal static void LeaseQueried(string store, string queue, int leased) =>
        LeaseQueries.Add(1, new KeyValuePair<string, object?>(StoreTag, store), new KeyValuePair<string, object?>("durabletask.queue", queue), new KeyValuePair<string, object?>("durabletask.result", leased > 0 ? "leased" : "empty"));

    /// <summary>Records one store transaction of <paramref name="writes"/> writes that took <paramref name="elapsed"/>.</summary>
    internal static void Committed(string store, int writes, TimeSpan elapsed)
    {
        var tag = new KeyValuePair<string, object?>(StoreTag, store);
        CommitDuration.Record(elapsed.TotalSeconds, tag);
        CommitBatchSize.Record(writes, tag);
    }

    /// <summary>The W3C <c>traceparent</c> of a span, as the SDK writes it into <c>parentTraceContext</c>.</summary>
    internal static P.TraceContext? ContextOf(Activity? activity) =>
        activity is null ? null : new P.TraceContext { TraceParent = activity.Id, TraceState = activity.TraceStateString };

    /// <summary>Reads a stored trace context; default when there is none or it does not parse.</summary>
    internal static ActivityContext Parse(P.TraceContext? context) =>
        context is { TraceParent: { Length: > 0 } parent } && ActivityContext.TryParse(parent, context.TraceState, isRemote: true, out var parsed)
            ? parsed
            : default;

    /// <summary>The trace id in a stored <c>traceparent</c>, or null.</summary>
    public static string? TraceIdOf(string? traceParent) =>
        traceParent is { Length: > 0 } && ActivityContext.TryParse(traceParent, null, out var parsed) ? parsed.TraceId.ToHexString() : null;

    /// <summary>Starts the span of one step of an orchestration, in the instance's trace (none when nobody listens or the instance has no trace).</summary>
    internal static Activity? StartStep(string orchestration, string instanceId, P.TraceContext? instanceContext)
    {
        var parent = Parse(instanceContext);
        if (parent == default)
        {
            return null;
        }

        var activity = Source.StartActivity("orchestration:" + orchestration, ActivityKind.Server, parent);
        activity?.SetTag("durabletask.type", "orchestration");
        activity?.SetTag(TaskNameTag, orchestration);
        activity?.SetTag("durabletask.task.instance_id", instanceId);
        return activity;
    }

    /// <summary>Starts the span of an activity's execution, a child of the step that scheduled it.</summary>
    internal static Activity? StartActivity(string name, string instanceId, int taskId, string? traceParent)
    {
        if (traceParent is not { Length: > 0 } || !ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent))
        {
            return null;
        }

        var activity = Source.StartActivity("activity:" + name, ActivityKind.Server, parent);
        activity?.SetTag("durabletask.type", "activity");
        activity?.SetTag(TaskNameTag, name);
        activity?.SetTag("durabletask.task.instance_id", instanceId);
        activity?.SetTag("durabletask.task.task_id", taskId);
        return activity;
    }

    /// <summary>Starts the span of creating an instance, a child of whatever span is current (an HTTP request, an activity).</summary>
    internal static Activity? StartCreate(string orchestration, string instanceId)
    {
        var activity = Source.StartActivity("create_orchestration:" + orchestration, ActivityKind.Producer);
        activity?.SetTag("durabletask.type", "orchestration");
        activity?.SetTag(TaskNameTag, orchestration);
        activity?.SetTag("durabletask.task.instance_id", instanceId);
        return activity;
    }
}
