using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Entities;

namespace Serverless.DurableTask.Worker;

/// <summary>
/// The worker: leases orchestration, entity and activity work from the store and runs it. Orchestration steps
/// replay history through <see cref="OrchestrationExecutor"/> and commit their effects atomically.
/// </summary>
public sealed class DurableTaskWorker : BackgroundService
{
    private readonly IOrchestrationStore _store;
    private readonly DurableTaskRegistry _registry;
    private readonly IServiceProvider _services;
    private readonly DurableTaskWorkerOptions _options;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly SessionCache _sessions;
    private readonly EntityRunner _entityRunner;
    private readonly CancellationTokenSource _activityAbort = new();
    private readonly SemaphoreSlim _pendingCommits;
    private readonly int _pendingCommitCapacity;
    private int _runningActivities;
    private long _storeFaultLoggedAt;
    private volatile bool _storeFaulted;

    internal DurableTaskWorker(IOrchestrationStore store, DurableTaskRegistry registry, IServiceProvider services, IOptions<DurableTaskWorkerOptions> options, ILoggerFactory loggerFactory)
    {
        _store = store;
        _registry = registry;
        _services = services;
        _options = options.Value;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Serverless.DurableTask.Worker");
        _sessions = new SessionCache(_options.ExtendedSessionsEnabled ? _options.ExtendedSessionCacheSize : 0, _options.ExtendedSessionIdleTimeout);
        _entityRunner = new EntityRunner(_options.DataConverter);
        _pendingCommitCapacity = Math.Max(64, _options.MaxConcurrentActivityFunctions * 16);
        _pendingCommits = new SemaphoreSlim(_pendingCommitCapacity);
    }

    /// <summary>Gets how many instances are cached between steps.</summary>
    public int CachedSessions => _sessions.Count;

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

    private async Task OrchestrationLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            OrchestrationWorkItem item;
            try
            {
                item = await _store.LockNextOrchestrationWorkItemAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (StoreUnavailableException ex)
            {
                StoreFault(ex);
                continue;
            }

            try
            {
                await ProcessOrchestrationAsync(item).ConfigureAwait(false);
                StoreWrote();
            }
            catch (StoreUnavailableException ex)
            {
                // Not the step's fault: the store releases it without counting a delivery and offers it again shortly.
                _sessions.Evict(item.InstanceId);
                StoreFault(ex);
                await _store.AbandonOrchestrationWorkItemAsync(item).ConfigureAwait(false);
            }
            catch (LeaseLostException)
            {
                _sessions.Evict(item.InstanceId);
                _logger.LeaseLost(item.InstanceId);
            }
            catch (Exception ex)
            {
                _sessions.Evict(item.InstanceId);
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
            var kind = poison.Event.GetType().Name;
            kind = kind.EndsWith("Event", StringComparison.Ordinal) ? kind[..^"Event".Length] : kind;
            var reason = $"A message ({kind}) was delivered {poison.DequeueCount} times and never processed successfully.";
            _logger.DeadLettered(item.InstanceId, poison.DequeueCount, reason);
            _sessions.Evict(item.InstanceId);
            await _store.DeadLetterOrchestrationWorkItemAsync(item, reason).ConfigureAwait(false);
            return;
        }

        if (EntityInstanceId.TryParse(item.InstanceId, out var entityId))
        {
            await ProcessEntityAsync(item, entityId).ConfigureAwait(false);
            return;
        }

        var now = _options.TimeProvider.GetUtcNow().UtcDateTime;
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
        foreach (var message in item.Messages)
        {
            if (suspended && !message.Event.IsControl)
            {
                continue;
            }

            consumed.Add(message);
            switch (message.Event)
            {
                case ExecutionSuspendedEvent:
                    suspended = true;
                    status = OrchestrationRuntimeStatus.Suspended;
                    break;
                case ExecutionResumedEvent:
                    suspended = false;
                    status = OrchestrationRuntimeStatus.Running;
                    break;
                default:
                    break;
            }
        }

        // Pending lasts until the ExecutionStarted message is processed: with a scheduled start, events can arrive (and be
        // recorded for replay) earlier, and they must not make the instance look started.
        if (instance.Status == OrchestrationRuntimeStatus.Pending && status == OrchestrationRuntimeStatus.Running && !consumed.Any(m => m.Event is ExecutionStartedEvent))
        {
            status = OrchestrationRuntimeStatus.Pending;
        }

        var newEvents = new List<HistoryEvent>(consumed.Count + 1) { new OrchestratorStartedEvent { Timestamp = now } };
        // Completions addressed to an earlier execution (work left running across ContinueAsNew or a restart) are
        // consumed but not applied: task ids restart at 0, so they would complete the wrong task.
        newEvents.AddRange(consumed.Select(m => m.Event).Where(e => e is not ContinueAsNewStartedEvent && (e.TargetExecutionId ?? instance.ExecutionId) == instance.ExecutionId));

        var executor = _sessions.Take(instance.InstanceId, instance.ExecutionId, instance.HistoryCount);
        IReadOnlyList<HistoryEvent> past = [];
        if (executor is null)
        {
            try
            {
                past = await _store.GetHistoryAsync(instance.InstanceId, CancellationToken.None).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                // Stored history that cannot be read stays unreadable: retrying only delays the failure and hides its cause.
                var reason = $"The history of the instance cannot be replayed: {ex.Message}";
                _logger.DeadLettered(item.InstanceId, item.Messages.Max(m => m.DequeueCount), reason);
                await _store.DeadLetterOrchestrationWorkItemAsync(item, reason).ConfigureAwait(false);
                return;
            }
            if (_registry.Orchestrators.TryGetValue(instance.Name, out var factory))
            {
                executor = new OrchestrationExecutor(factory(_services), instance.InstanceId, _options.DataConverter, _loggerFactory);
            }
        }

        ExecutionStepResult result;
        if (executor is null)
        {
            var failure = TaskFailureDetails.FromException(new TaskNotRegisteredException("orchestrator", instance.Name));
            result = new ExecutionStepResult
            {
                NewHistory = [.. newEvents, new ExecutionCompletedEvent(OrchestrationRuntimeStatus.Failed, null, failure) { Timestamp = now }],
                NewActions = [],
                Outcome = new ExecutionOutcome(OrchestrationRuntimeStatus.Failed, null, failure),
                CustomStatus = null,
            };
        }
        else
        {
            result = executor.Execute(past, newEvents);
        }

        var commit = BuildCommit(instance, consumed, result, status, now, executor?.Started?.ParentExecutionId);
        _logger.OrchestrationStep(instance.InstanceId, instance.Name, newEvents.Count, result.NewActions.Count, commit.Instance!.Status);
        try
        {
            await _store.CompleteOrchestrationWorkItemAsync(item, commit).ConfigureAwait(false);
        }
        catch
        {
            _sessions.Evict(instance.InstanceId);
            throw;
        }

        if (result.Outcome is { } outcome)
        {
            if (outcome.Status == OrchestrationRuntimeStatus.Failed && outcome.Failure is { } f)
            {
                _logger.OrchestrationFailed(instance.InstanceId, instance.Name, f.ErrorType, f.ErrorMessage);
            }
            else if (!outcome.ContinuedAsNew)
            {
                _logger.OrchestrationFinished(instance.InstanceId, instance.Name, outcome.Status);
            }
        }
        else if (executor is not null && _options.ExtendedSessionsEnabled)
        {
            _sessions.Put(instance.InstanceId, commit.Instance!.ExecutionId, commit.Instance.HistoryCount, executor);
        }
    }

    private static OrchestrationCommit BuildCommit(InstanceRecord instance, List<InstanceMessage> consumed, ExecutionStepResult result, OrchestrationRuntimeStatus status, DateTime now, string? parentExecutionId)
    {
        var tasks = new List<ActivityTask>();
        var messages = new List<OutgoingMessage>();
        var instances = new List<NewInstance>();
        foreach (var action in result.NewActions)
        {
            switch (action)
            {
                case ScheduleTaskAction t:
                    tasks.Add(new ActivityTask(0, instance.InstanceId, instance.ExecutionId, t.TaskId, t.Name, t.Input));
                    break;
                case CreateSubOrchestrationAction s:
                    instances.Add(new NewInstance(s.InstanceId, s.Name, s.Input, instance.InstanceId,
                        new ExecutionStartedEvent(s.Name, s.Input, Guid.NewGuid().ToString("N"), instance.InstanceId, instance.Name, s.TaskId, instance.ExecutionId) { Timestamp = now }, now, s.TaskId));
                    break;
                case CreateTimerAction t:
                    messages.Add(new OutgoingMessage(instance.InstanceId, new TimerFiredEvent(t.TaskId, t.FireAt) { Timestamp = t.FireAt, TargetExecutionId = instance.ExecutionId }, t.FireAt));
                    break;
                case SendEventAction s:
                    messages.Add(new OutgoingMessage(s.InstanceId, new EventRaisedEvent(s.Name, s.Input) { Timestamp = now }, now));
                    break;
                case CallEntityAction c:
                    messages.Add(new OutgoingMessage(c.TargetInstanceId, new EntityRequestEvent(c.RequestId, c.Operation, c.Input, instance.InstanceId) { Timestamp = now }, now));
                    break;
                case SignalEntityAction s:
                    messages.Add(new OutgoingMessage(s.TargetInstanceId, new EntityRequestEvent(s.RequestId, s.Operation, s.Input, null) { Timestamp = now }, s.ScheduledTime ?? now));
                    break;
                default:
                    throw new InvalidOperationException($"Unknown action {action.GetType().Name}.");
            }
        }

        var record = instance with
        {
            Status = status,
            CustomStatus = result.CustomStatus ?? instance.CustomStatus,
            LastUpdatedAt = now,
            HistoryCount = instance.HistoryCount + result.NewHistory.Count,
        };
        var history = result.NewHistory;
        var replace = false;
        if (result.Outcome is { } outcome)
        {
            if (outcome.ContinuedAsNew)
            {
                var started = new ExecutionStartedEvent(instance.Name, outcome.NewInput, Guid.NewGuid().ToString("N"), instance.ParentInstanceId, null, instance.ParentTaskId, parentExecutionId) { Timestamp = now };
                history = [new OrchestratorStartedEvent { Timestamp = now }, started, .. outcome.CarryoverEvents ?? []];
                replace = true;
                record = record with
                {
                    Status = OrchestrationRuntimeStatus.Running,
                    ExecutionId = started.ExecutionId,
                    Input = outcome.NewInput,
                    HistoryCount = history.Count,
                };
                messages.Add(new OutgoingMessage(instance.InstanceId, new ContinueAsNewStartedEvent { Timestamp = now }, now));
            }
            else
            {
                record = record with { Status = outcome.Status, Output = outcome.Output, Failure = outcome.Failure, CompletedAt = now };
                if (instance.ParentInstanceId is not null)
                {
                    messages.Add(ParentNotification(instance, outcome, now, parentExecutionId));
                }
            }
        }

        return new OrchestrationCommit
        {
            Instance = record,
            NewHistory = history,
            ReplaceHistory = replace,
            NewTasks = tasks,
            Messages = messages,
            NewInstances = instances,
            ConsumedMessageIds = consumed.Select(m => m.Id).ToList(),
        };
    }

    private static OutgoingMessage ParentNotification(InstanceRecord instance, ExecutionOutcome outcome, DateTime now, string? parentExecutionId)
    {
        var parentTaskId = instance.ParentTaskId;
        HistoryEvent e = outcome.Status == OrchestrationRuntimeStatus.Completed
            ? new SubOrchestrationInstanceCompletedEvent(parentTaskId, outcome.Output) { Timestamp = now, TargetExecutionId = parentExecutionId }
            : new SubOrchestrationInstanceFailedEvent(parentTaskId, outcome.Failure ?? new TaskFailureDetails(
                "Serverless.DurableTask.OrchestrationTerminated", $"Sub-orchestration '{instance.InstanceId}' ended as {outcome.Status}: {outcome.Output}")) { Timestamp = now, TargetExecutionId = parentExecutionId };
        return new OutgoingMessage(instance.ParentInstanceId!, e, now);
    }

    private async Task ProcessEntityAsync(OrchestrationWorkItem item, EntityInstanceId id)
    {
        var now = _options.TimeProvider.GetUtcNow().UtcDateTime;
        var requests = item.Messages.Select(m => m.Event).OfType<EntityRequestEvent>().ToList();
        var factory = _registry.Entities.GetValueOrDefault(id.Name);
        var result = await _entityRunner.RunAsync(id, item.Instance?.EntityState, requests, () => factory?.Invoke(_services), now).ConfigureAwait(false);
        _logger.EntityBatch(item.InstanceId, requests.Count);
        var record = (item.Instance ?? new InstanceRecord
        {
            InstanceId = item.InstanceId,
            Name = id.Name,
            ExecutionId = string.Empty,
            IsEntity = true,
            CreatedAt = now,
        }) with
        {
            EntityState = result.State,
            Status = OrchestrationRuntimeStatus.Running,
            LastUpdatedAt = now,
        };
        await _store.CompleteOrchestrationWorkItemAsync(item, new OrchestrationCommit
        {
            Instance = record,
            Messages = result.Messages,
            NewInstances = result.NewInstances,
            ConsumedMessageIds = item.Messages.Select(m => m.Id).ToList(),
            DeleteInstance = result.State is null,
        }).ConfigureAwait(false);
    }

    private async Task ActivityLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            ActivityWorkItem item;
            try
            {
                item = await _store.LockNextActivityWorkItemAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (StoreUnavailableException ex)
            {
                StoreFault(ex);
                continue;
            }

            Interlocked.Increment(ref _runningActivities);
            try
            {
                await ProcessActivityAsync(item).ConfigureAwait(false);
            }
            catch (LeaseLostException)
            {
                _logger.LeaseLost(item.Task.InstanceId);
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
            await _store.DeadLetterActivityWorkItemAsync(item, reason).ConfigureAwait(false);
            return;
        }

        HistoryEvent response;
        using var renew = new Timer(_ => _store.RenewActivityLease(item), null, _options.LeaseDuration / 3, _options.LeaseDuration / 3);
        try
        {
            if (!_registry.Activities.TryGetValue(task.Name, out var factory))
            {
                throw new TaskNotRegisteredException("activity", task.Name);
            }

            var activity = factory(_services);
            var input = _options.DataConverter.Deserialize(task.Input, activity.InputType);
            var context = new ActivityContext(task, _activityAbort.Token);
            var output = await activity.RunAsync(context, input).ConfigureAwait(false);
            response = new TaskCompletedEvent(task.TaskId, _options.DataConverter.Serialize(output)) { Timestamp = _options.TimeProvider.GetUtcNow().UtcDateTime, TargetExecutionId = task.ExecutionId };
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
            response = new TaskFailedEvent(task.TaskId, failure) { Timestamp = _options.TimeProvider.GetUtcNow().UtcDateTime, TargetExecutionId = task.ExecutionId };
            _logger.ActivityFailed(task.Name, task.TaskId, task.InstanceId, failure.ErrorType, failure.ErrorMessage);
        }

        CrashPoints.Reach(CrashPoints.AfterActivityBeforeCommit, task.Name);

        // The slot does not wait for the commit: results of many activities share one transaction (group commit),
        // and the lease stays held until the commit lands. The number of uncommitted results is bounded.
        await _pendingCommits.WaitAsync().ConfigureAwait(false);
        _ = CommitActivityAsync(item, response);
    }

    private async Task CommitActivityAsync(ActivityWorkItem item, HistoryEvent response)
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
            _logger.LeaseLost(item.Task.InstanceId);
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

    private sealed class ActivityContext(ActivityTask task, CancellationToken cancellationToken) : TaskActivityContext
    {
        public override TaskName Name => task.Name;

        public override string InstanceId => task.InstanceId;

        public override int TaskId => task.TaskId;

        public override string IdempotencyKey => $"{task.InstanceId}:{task.ExecutionId}:{task.TaskId}";

        public override int DequeueCount => task.DequeueCount;

        public override CancellationToken CancellationToken => cancellationToken;
    }
}
