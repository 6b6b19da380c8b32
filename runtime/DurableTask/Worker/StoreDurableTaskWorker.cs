using System.Diagnostics;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Worker.Entities;

using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.DurableTask.Worker;

/// <summary>
/// The dispatcher: a <see cref="DurableTaskWorker"/> (Microsoft's hosted-worker base) that leases orchestration, entity
/// and activity work from our store and runs it — orchestration steps through Microsoft's replay engine
/// (<see cref="OrchestrationStepRunner"/>), entity batches through its entity runner, activities through their
/// <see cref="ITaskActivity"/> — and commits each step's effects atomically.
/// </summary>
public sealed class StoreDurableTaskWorker : DurableTaskWorker
{
    private readonly IOrchestrationStore _store;
    private readonly IDurableTaskFactory _factory;
    private readonly IServiceProvider _services;
    private readonly StoreDurableTaskWorkerOptions _options;
    private readonly ILogger _logger;
    private readonly OrchestrationStepRunner _steps;
    private readonly EntityStepRunner _entities;
    private readonly CancellationTokenSource _activityAbort = new();
    private readonly SemaphoreSlim _pendingCommits;
    private readonly int _pendingCommitCapacity;
    private int _runningActivities;
    private long _storeFaultLoggedAt;
    private volatile bool _storeFaulted;

    /// <summary>Initializes a new instance of the <see cref="StoreDurableTaskWorker"/> class (made by the worker builder).</summary>
    public StoreDurableTaskWorker(string? name, IDurableTaskFactory factory, IOptionsMonitor<StoreDurableTaskWorkerOptions> options, IServiceProvider services, ILoggerFactory loggerFactory)
        : base(name, factory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _store = (IOrchestrationStore)(services.GetService(typeof(IOrchestrationStore))
            ?? throw new InvalidOperationException("No durable store is registered: call UseSqlite or UsePostgres on the worker builder."));
        _factory = factory;
        _services = services;
        _options = options.Get(name ?? Options.DefaultName);
        _logger = loggerFactory.CreateLogger("Serverless.DurableTask.Worker");
        _steps = new OrchestrationStepRunner(factory, services, _options);
        _entities = new EntityStepRunner(factory, services, loggerFactory);
        _pendingCommitCapacity = Math.Max(64, _options.MaxConcurrentActivityFunctions * 16);
        _pendingCommits = new SemaphoreSlim(_pendingCommitCapacity);
    }

    /// <summary>Gets how many instances are cached between steps.</summary>
    public int CachedSessions => _steps.CachedSessions;

    /// <inheritdoc/>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await _store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _logger.WorkerStopping(_options.ShutdownGracePeriod);
        using var grace = new CancellationTokenSource(_options.ShutdownGracePeriod);
        using var registration = grace.Token.Register(() => _activityAbort.Cancel());
        await base.StopAsync(cancellationToken).ConfigureAwait(false);

        // Let results that finished before the stop reach the store.
        while (_pendingCommits.CurrentCount < _pendingCommitCapacity && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(5, CancellationToken.None).ConfigureAwait(false);
        }

        _logger.WorkerStopped(Volatile.Read(ref _runningActivities));
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _activityAbort.Dispose();
        _pendingCommits.Dispose();
        base.Dispose();
    }

    /// <inheritdoc/>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (int Times, long At)> _deferred = new(StringComparer.Ordinal);
    private long _deferredSteps;
    private string? _lastDeferral;

    /// <summary>
    /// Gets the work this build left for another (an orchestrator it does not have, a version it may not run): how many
    /// instances were left within the last two minutes (another build may have run them since), how many steps were
    /// left since start, and the last reason.
    /// </summary>
    public (int Instances, long Steps, string? Last) Deferred
    {
        get
        {
            var since = Environment.TickCount64 - 120_000;
            foreach (var (id, entry) in _deferred)
            {
                if (entry.At < since)
                {
                    _deferred.TryRemove(id, out _);
                }
            }

            return (_deferred.Count, Interlocked.Read(ref _deferredSteps), _lastDeferral);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _logger.WorkerStarted(_store.HubName, _options.MaxConcurrentOrchestratorFunctions, _options.MaxConcurrentActivityFunctions);
        var loops = new List<Task>();
        for (var i = 0; i < Math.Max(1, _options.MaxConcurrentOrchestratorFunctions); i++)
        {
            loops.Add(Task.Run(() => OrchestrationLoopAsync(stoppingToken), CancellationToken.None));
        }

        for (var i = 0; i < Math.Max(1, _options.MaxConcurrentActivityFunctions); i++)
        {
            loops.Add(Task.Run(() => ActivityLoopAsync(stoppingToken), CancellationToken.None));
        }

        if (_options.Retention != Timeout.InfiniteTimeSpan)
        {
            loops.Add(Task.Run(() => RetentionLoopAsync(stoppingToken), CancellationToken.None));
        }

        return Task.WhenAll(loops);
    }

    /// <summary>
    /// Leases the next work item; null once the worker stops or the store is closed. While the store cannot be read the
    /// fault is logged and the lease tried again.
    /// </summary>
    private async Task<T?> LeaseNextAsync<T>(Func<CancellationToken, Task<T>> lease, CancellationToken stoppingToken)
        where T : class
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                return await lease(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return null;
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (StoreUnavailableException ex)
            {
                StoreFault(ex);
            }
        }

        return null;
    }

    private async Task OrchestrationLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            if (await LeaseNextAsync(_store.LockNextOrchestrationWorkItemAsync, stoppingToken).ConfigureAwait(false) is not { } item)
            {
                return;
            }

            try
            {
                await ProcessOrchestrationAsync(item).ConfigureAwait(false);
                StoreWrote();
            }
            catch (StoreUnavailableException ex)
            {
                // Not the step's fault: the store releases it without counting a delivery and offers it again shortly.
                _steps.Evict(item.InstanceId);
                StoreFault(ex);
                await _store.AbandonOrchestrationWorkItemAsync(item, storeFault: true).ConfigureAwait(false);
            }
            catch (LeaseLostException)
            {
                _steps.Evict(item.InstanceId);
                _logger.LeaseLost(item.InstanceId);
            }
            catch (Exception ex)
            {
                _steps.Evict(item.InstanceId);
                _logger.StepAbandoned(item.InstanceId, ex);
                try
                {
                    await _store.AbandonOrchestrationWorkItemAsync(item).ConfigureAwait(false);
                }
                catch (Exception abandonError)
                {
                    _logger.DispatcherError(abandonError);
                }
            }
        }
    }

    private async Task ProcessOrchestrationAsync(OrchestrationWorkItem item)
    {
        var maxDequeues = _options.MaxDequeueCount;
        if (item.Messages.FirstOrDefault(m => m.DequeueCount >= maxDequeues) is { } poison)
        {
            var reason = $"A message ({HistoryEvents.Kind(poison.Event)}) was delivered {poison.DequeueCount} times and never processed successfully.";
            _logger.DeadLettered(item.InstanceId, poison.DequeueCount, reason);
            DurableTaskTelemetry.DeadLettered.Add(1);
            _steps.Evict(item.InstanceId);
            var replies = item.InstanceId.StartsWith('@') ? EntityDeadLetters.Replies(item.Messages, EntityDeadLetters.FailureType, reason, _options.TimeProvider.GetUtcNow().UtcDateTime) : null;
            await _store.DeadLetterOrchestrationWorkItemAsync(item, reason, replies).ConfigureAwait(false);
            return;
        }

        if (item.InstanceId.StartsWith('@'))
        {
            await ProcessEntityAsync(item).ConfigureAwait(false);
            return;
        }

        var now = _options.TimeProvider.GetUtcNow().UtcDateTime;
        var stepStarted = Stopwatch.GetTimestamp();
        var instance = item.Instance;
        if (instance is null || instance.IsEntity || instance.Status.IsTerminal())
        {
            // Messages for an instance that does not exist or has finished are dropped (events to finished
            // orchestrations, late timer firings, completions of terminated work).
            await _store.CompleteOrchestrationWorkItemAsync(item, new OrchestrationCommit
            {
                Instance = null,
                ConsumedMessageIds = item.Messages.Select(m => m.Id).ToList(),
            }).ConfigureAwait(false);
            return;
        }

        // Once a step suspends the instance, later non-control messages wait in the queue until it resumes.
        var consumed = new List<InstanceMessage>(item.Messages.Count);
        var suspended = instance.Status == OrchestrationRuntimeStatus.Suspended;
        var status = instance.Status == OrchestrationRuntimeStatus.Pending ? OrchestrationRuntimeStatus.Running : instance.Status;
        InstanceMessage? terminate = null;
        foreach (var message in item.Messages)
        {
            if (suspended && !message.IsControl)
            {
                continue;
            }

            consumed.Add(message);
            switch (message.Event.EventTypeCase)
            {
                case P.HistoryEvent.EventTypeOneofCase.ExecutionSuspended:
                    suspended = true;
                    status = OrchestrationRuntimeStatus.Suspended;
                    break;
                case P.HistoryEvent.EventTypeOneofCase.ExecutionResumed:
                    suspended = false;
                    status = OrchestrationRuntimeStatus.Running;
                    break;
                case P.HistoryEvent.EventTypeOneofCase.ExecutionTerminated:
                    terminate ??= message;
                    break;
                default:
                    break;
            }
        }

        // Pending lasts until the ExecutionStarted message is processed: with a scheduled start, events can arrive (and be
        // recorded for replay) earlier, and they must not make the instance look started.
        var starts = consumed.Any(m => m.Event.EventTypeCase == P.HistoryEvent.EventTypeOneofCase.ExecutionStarted);
        if (instance.Status == OrchestrationRuntimeStatus.Pending && status == OrchestrationRuntimeStatus.Running && !starts)
        {
            status = OrchestrationRuntimeStatus.Pending;
        }

        // Completions addressed to an earlier execution (work left running across ContinueAsNew or a restart) are
        // consumed but not applied: task ids restart at 0, so they would complete the wrong task.
        // The runner must see ExecutionStarted before any event of the execution: events that arrived with it (or
        // earlier, before a scheduled start) come after it, in their order.
        var newEvents = new List<P.HistoryEvent>(consumed.Count + 1) { HistoryEvents.OrchestratorStarted(now) };
        var applied = consumed.Where(m => (m.TargetExecutionId ?? instance.ExecutionId) == instance.ExecutionId).Select(m => m.Event).ToList();
        newEvents.AddRange(applied.Where(e => e.EventTypeCase == P.HistoryEvent.EventTypeOneofCase.ExecutionStarted));
        IReadOnlyList<P.HistoryEvent>? early = null;
        if (starts && status != OrchestrationRuntimeStatus.Pending && instance.HistoryCount > 0)
        {
            // Events kept while the instance waited for its scheduled start: the history is rewritten with them after
            // the start.
            early = await _store.GetHistoryAsync(instance.InstanceId, CancellationToken.None).ConfigureAwait(false);
            newEvents.AddRange(early.Where(e => e.EventTypeCase != P.HistoryEvent.EventTypeOneofCase.ExecutionStarted));
        }

        newEvents.AddRange(applied.Where(e => e.EventTypeCase != P.HistoryEvent.EventTypeOneofCase.ExecutionStarted));

        OrchestrationCommit commit;
        string? parentExecutionId = null;
        var finished = true;
        StepOutcome? ran = null;
        if (terminate is not null)
        {
            parentExecutionId = await ParentExecutionAsync(instance).ConfigureAwait(false);
            commit = StepCommits.Ended(instance, consumed, [HistoryEvents.OrchestratorStarted(now), terminate.Event], OrchestrationRuntimeStatus.Terminated, terminate.Event.ExecutionTerminated.Input, null, now, parentExecutionId);
        }
        else if (status == OrchestrationRuntimeStatus.Pending)
        {
            // Not started yet: keep what arrived early in the history, for the first step's replay.
            commit = new OrchestrationCommit
            {
                Instance = instance with { LastUpdatedAt = now, HistoryCount = instance.HistoryCount + newEvents.Count - 1 },
                NewHistory = newEvents.Skip(1).ToList(),
                ConsumedMessageIds = consumed.Select(m => m.Id).ToList(),
            };
            finished = false;
        }
        else
        {
            StepOutcome outcome;
            try
            {
                outcome = early is null
                    ? await _steps.RunAsync(instance, newEvents, () => _store.GetHistoryAsync(instance.InstanceId, CancellationToken.None)).ConfigureAwait(false)
                    : await _steps.RunAsync(instance with { HistoryCount = 0 }, newEvents, () => Task.FromResult<IReadOnlyList<P.HistoryEvent>>([])).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                // Stored history that cannot be read stays unreadable: retrying only delays the failure and hides its cause.
                var reason = $"The history of the instance cannot be replayed: {ex.Message}";
                _logger.DeadLettered(item.InstanceId, item.Messages.Max(m => m.DequeueCount), reason);
                DurableTaskTelemetry.DeadLettered.Add(1);
                await _store.DeadLetterOrchestrationWorkItemAsync(item, reason).ConfigureAwait(false);
                return;
            }

            if (outcome.DeferredBecause is { } why)
            {
                // Work this build cannot run waits for a build that can (a rolling deploy), with a growing pause; never failed.
                var times = _deferred.AddOrUpdate(instance.InstanceId, (1, Environment.TickCount64), (_, n) => (n.Times + 1, Environment.TickCount64)).Times;
                Interlocked.Increment(ref _deferredSteps);
                _lastDeferral = $"{instance.InstanceId}: {why}";
                var delay = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, Math.Min(times, 6) - 1)));
                _logger.StepDeferred(instance.InstanceId, why, delay);
                _steps.Evict(instance.InstanceId);
                await _store.DeferOrchestrationWorkItemAsync(item, delay).ConfigureAwait(false);
                return;
            }

            _deferred.TryRemove(instance.InstanceId, out _);
            ran = outcome;
            parentExecutionId = outcome.ParentExecutionId ?? (instance.ParentInstanceId is null ? null : await ParentExecutionAsync(instance).ConfigureAwait(false));
            commit = StepCommits.FromResponse(early is null ? instance : instance with { HistoryCount = 0 }, consumed, newEvents, outcome.Response, status, now, parentExecutionId, replaceHistory: early is not null, outcome.TraceContext, outcome.WorkContext);
            if (PayloadLimit.FirstOver(commit, _options.MaxPayloadBytes) is { } tooLarge)
            {
                // Nothing of the step is stored but its failure: the instance fails, naming what was too large.
                _logger.PayloadTooLarge(instance.InstanceId, tooLarge.Message);
                var failure = HistoryEvents.Failure(PayloadLimit.FailureType, tooLarge.Message);
                failure.IsNonRetriable = true;
                commit = StepCommits.Ended(instance, consumed, early is null ? newEvents : [HistoryEvents.OrchestratorStarted(now)], OrchestrationRuntimeStatus.Failed, null, failure, now, parentExecutionId);
            }
            finished = commit.Instance!.Status.IsTerminal() || commit.ReplaceHistory;
        }

        _logger.OrchestrationStep(instance.InstanceId, instance.Name, newEvents.Count, commit.NewTasks.Count + commit.Messages.Count + commit.NewInstances.Count, commit.Instance!.Status);
        using var span = ran?.Span;
        try
        {
            await _store.CompleteOrchestrationWorkItemAsync(item, commit).ConfigureAwait(false);
        }
        catch
        {
            _steps.Evict(instance.InstanceId);
            span?.SetStatus(ActivityStatusCode.Error);
            throw;
        }

        _steps.Committed(commit.Instance, parentExecutionId, finished, ran?.TraceContext);
        var record = commit.Instance;
        var name = DurableTaskTelemetry.TaskName(instance.Name);
        DurableTaskTelemetry.StepDuration.Record(Stopwatch.GetElapsedTime(stepStarted).TotalSeconds, name);
        if (starts && instance.Status == OrchestrationRuntimeStatus.Pending && record.Status != OrchestrationRuntimeStatus.Pending)
        {
            DurableTaskTelemetry.OrchestrationsStarted.Add(1, name);
        }

        if (record.Status.IsTerminal())
        {
            DurableTaskTelemetry.OrchestrationsEnded.Add(1, name, new KeyValuePair<string, object?>(DurableTaskTelemetry.StatusTag, record.Status.ToString()));
            span?.SetTag(DurableTaskTelemetry.StatusTag, record.Status.ToString());
            if (record.Status == OrchestrationRuntimeStatus.Failed)
            {
                span?.SetStatus(ActivityStatusCode.Error);
            }
        }

        if (record.Status == OrchestrationRuntimeStatus.Failed && record.Failure is { } f)
        {
            _logger.OrchestrationFailed(instance.InstanceId, instance.Name, f.ErrorType, f.ErrorMessage);
        }
        else if (record.Status.IsTerminal())
        {
            _logger.OrchestrationFinished(instance.InstanceId, instance.Name, record.Status);
        }
    }

    /// <summary>Reads the parent's execution id from the instance's ExecutionStarted event (sub-orchestrations only).</summary>
    private async Task<string?> ParentExecutionAsync(InstanceRecord instance)
    {
        if (instance.ParentInstanceId is null)
        {
            return null;
        }

        var history = await _store.GetHistoryAsync(instance.InstanceId, CancellationToken.None).ConfigureAwait(false);
        return history.FirstOrDefault(e => e.EventTypeCase == P.HistoryEvent.EventTypeOneofCase.ExecutionStarted)?.ExecutionStarted.ParentInstance?.OrchestrationInstance?.ExecutionId;
    }

    private async Task ProcessEntityAsync(OrchestrationWorkItem item)
    {
        var now = _options.TimeProvider.GetUtcNow().UtcDateTime;
        var result = await _entities.RunAsync(item, now).ConfigureAwait(false);
        var tooLarge = PayloadLimit.SizeOver(result.Commit.Instance?.EntityState, _options.MaxPayloadBytes) is { } size
            ? new PayloadTooLargeException($"state of entity '{item.InstanceId}'", size, _options.MaxPayloadBytes)
            : PayloadLimit.FirstOver(result.Commit, _options.MaxPayloadBytes);
        if (tooLarge is not null)
        {
            // The batch would store more than the hub takes: nothing of it is stored (the entity keeps its state), its
            // messages are dead-lettered with the reason, and each caller gets that reason as the operation's failure.
            _logger.DeadLettered(item.InstanceId, item.Messages.Max(m => m.DequeueCount), tooLarge.Message);
            DurableTaskTelemetry.DeadLettered.Add(1);
            await _store.DeadLetterOrchestrationWorkItemAsync(item, tooLarge.Message, EntityDeadLetters.Replies(item.Messages, PayloadLimit.FailureType, tooLarge.Message, now)).ConfigureAwait(false);
            return;
        }

        _logger.EntityBatch(item.InstanceId, result.OperationCount);
        await _store.CompleteOrchestrationWorkItemAsync(item, result.Commit).ConfigureAwait(false);
        if (result.OperationCount > 0)
        {
            // "@name@key": the entity's name, never its key (a key can be a person's id).
            var entityName = item.InstanceId.Split('@', 3) is [_, var n, ..] ? n : item.InstanceId;
            DurableTaskTelemetry.EntityOperations.Add(result.OperationCount, DurableTaskTelemetry.TaskName(entityName));
        }
    }

    private async Task ActivityLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            if (await LeaseNextAsync(_store.LockNextActivityWorkItemAsync, stoppingToken).ConfigureAwait(false) is not { } item)
            {
                return;
            }

            Interlocked.Increment(ref _runningActivities);
            try
            {
                await ProcessActivityAsync(item).ConfigureAwait(false);
            }
            catch (LeaseLostException)
            {
                _logger.ActivityLeaseLost(StoreTaskActivityContext.KeyOf(item.Task));
            }
            catch (Exception ex)
            {
                _logger.StepAbandoned(item.Task.InstanceId, ex);
                try
                {
                    await _store.AbandonActivityWorkItemAsync(item).ConfigureAwait(false);
                }
                catch (Exception abandonError)
                {
                    _logger.DispatcherError(abandonError);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _runningActivities);
            }
        }
    }

    private async Task ProcessActivityAsync(ActivityWorkItem item)
    {
        var task = item.Task;
        if (task.DequeueCount >= _options.MaxDequeueCount)
        {
            var reason = $"Activity '{task.Name}' (#{task.TaskId}) was delivered {task.DequeueCount} times and never finished; the host may have crashed while running it.";
            _logger.DeadLettered(task.InstanceId, task.DequeueCount, reason);
            DurableTaskTelemetry.DeadLettered.Add(1);
            await _store.DeadLetterActivityWorkItemAsync(item, reason).ConfigureAwait(false);
            return;
        }

        P.HistoryEvent response;
        using var span = DurableTaskTelemetry.StartActivity(task.Name, task.InstanceId, task.TaskId, task.TraceParent);
        var activityStarted = Stopwatch.GetTimestamp();
        var outcome = "completed";
        using var renew = new Timer(_ => _store.RenewActivityLease(item), null, _options.LeaseDuration / 3, _options.LeaseDuration / 3);
        try
        {
            if (!_factory.TryCreateActivity(new TaskName(task.Name), _services, out var activity) || activity is null)
            {
                // Microsoft's worker answers an unknown activity with this failure, marked as not worth retrying.
                var notFound = HistoryEvents.Failure("ActivityTaskNotFound", $"No activity task named '{task.Name}' was found.");
                notFound.IsNonRetriable = true;
                response = HistoryEvents.TaskFailed(task.TaskId, notFound, _options.TimeProvider.GetUtcNow().UtcDateTime);
                _logger.ActivityFailed(task.Name, task.TaskId, task.InstanceId, notFound.ErrorType, notFound.ErrorMessage);
                await _pendingCommits.WaitAsync().ConfigureAwait(false);
                _ = CommitActivityAsync(item, response);
                return;
            }

            var input = _options.DataConverter.Deserialize(ActivityInput(task.Input), activity.InputType);
            var context = new StoreTaskActivityContext(task, _activityAbort.Token);
            var output = await activity.RunAsync(context, input).ConfigureAwait(false);
            var result = _options.DataConverter.Serialize(output);
            PayloadLimit.Check(result, _options.MaxPayloadBytes, $"result of activity '{task.Name}'");
            response = HistoryEvents.TaskCompleted(task.TaskId, result, _options.TimeProvider.GetUtcNow().UtcDateTime);
            _logger.ActivityFinished(task.Name, task.TaskId, task.InstanceId, "completed");
        }
        catch (OperationCanceledException) when (_activityAbort.IsCancellationRequested)
        {
            // The host is stopping and the grace period is over: leave the activity for the next run.
            await _store.AbandonActivityWorkItemAsync(item).ConfigureAwait(false);
            return;
        }
        catch (Exception ex)
        {
            var failure = TaskFailureDetails.FromException(ex);
            response = HistoryEvents.TaskFailed(task.TaskId, HistoryEvents.ToProto(failure), _options.TimeProvider.GetUtcNow().UtcDateTime);
            _logger.ActivityFailed(task.Name, task.TaskId, task.InstanceId, failure.ErrorType, failure.ErrorMessage);
            outcome = "failed";

            // The error's type only: its message can quote what the activity was given.
            span?.SetStatus(ActivityStatusCode.Error);
            span?.SetTag("error.type", failure.ErrorType);
        }

        DurableTaskTelemetry.ActivityDuration.Record(
            Stopwatch.GetElapsedTime(activityStarted).TotalSeconds,
            DurableTaskTelemetry.TaskName(task.Name),
            new KeyValuePair<string, object?>(DurableTaskTelemetry.OutcomeTag, outcome));

        CrashPoints.Reach(CrashPoints.AfterActivityBeforeCommit, task.Name);

        // The slot does not wait for the commit: results of many activities share one transaction (group commit),
        // and the lease stays held until the commit lands. The number of uncommitted results is bounded.
        await _pendingCommits.WaitAsync().ConfigureAwait(false);
        _ = CommitActivityAsync(item, response);
    }

    private async Task CommitActivityAsync(ActivityWorkItem item, P.HistoryEvent response)
    {
        try
        {
            // The activity ran: while the store cannot write, its result is kept and the commit retried (the lease
            // renewed), so the outside call it made is not made again.
            var wait = TimeSpan.FromMilliseconds(250);
            while (true)
            {
                try
                {
                    await _store.CompleteActivityWorkItemAsync(item, response).ConfigureAwait(false);
                    StoreWrote();
                    break;
                }
                catch (StoreUnavailableException ex)
                {
                    StoreFault(ex);
                    _store.RenewActivityLease(item);
                    await Task.Delay(wait).ConfigureAwait(false);
                    wait = TimeSpan.FromMilliseconds(Math.Min(wait.TotalMilliseconds * 2, _options.LeaseDuration.TotalMilliseconds / 3));
                    _store.RenewActivityLease(item);
                }
            }
        }
        catch (LeaseLostException)
        {
            _logger.ActivityLeaseLost(StoreTaskActivityContext.KeyOf(item.Task));
        }
        catch (ObjectDisposedException)
        {
            // The store closed during shutdown: the activity stays in the table and runs again after restart.
        }
        catch (Exception ex)
        {
            _logger.StepAbandoned(item.Task.InstanceId, ex);
            await _store.AbandonActivityWorkItemAsync(item).ConfigureAwait(false);
        }
        finally
        {
            _pendingCommits.Release();
        }
    }

    /// <summary>Logs that the store cannot write: at once, then at most every 10 s while it lasts.</summary>
    private void StoreFault(StoreUnavailableException ex)
    {
        _storeFaulted = true;
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _storeFaultLoggedAt);
        if ((last == 0 || now - last >= 10_000) && Interlocked.CompareExchange(ref _storeFaultLoggedAt, now, last) == last)
        {
            _logger.StoreUnavailable(ex.Message);
        }
    }

    private void StoreWrote()
    {
        if (_storeFaulted)
        {
            _storeFaulted = false;
            Interlocked.Exchange(ref _storeFaultLoggedAt, 0);
            _logger.StoreAvailable();
        }
    }

    private async Task RetentionLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var cutoff = _options.TimeProvider.GetUtcNow().UtcDateTime - _options.Retention;
                var purged = await _store.PurgeCompletedBeforeAsync(cutoff, stoppingToken).ConfigureAwait(false);
                if (purged > 0)
                {
                    _logger.RetentionPurged(purged, cutoff);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.RetentionFailed(ex);
            }

            try
            {
                await Task.Delay(_options.RetentionInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The replay engine (DTFx underneath) schedules an activity with its input wrapped in a one-element JSON array;
    /// the SDK's own activity shim strips the brackets before deserializing, and so do we.
    /// </summary>
    internal static string? ActivityInput(string? raw) =>
        raw is { Length: >= 2 } && raw[0] == '[' && raw[^1] == ']' ? raw[1..^1] : raw;
}
