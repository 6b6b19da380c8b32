using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.DurableTask.Entities;

namespace Serverless.DurableTask.Engine;

/// <summary>
/// Runs orchestrator code against history. A fresh executor replays the recorded events (matching every
/// action the code takes against what history says it took) and then applies the step's new events; a
/// cached executor (extended session) keeps its live state and only applies new events.
/// </summary>
internal sealed class OrchestrationExecutor
{
    private readonly ITaskOrchestrator _orchestrator;
    private readonly Context _context;
    private readonly OrchestrationSynchronizationContext _sync = new();
    private Task<object?>? _run;
    private ExecutionOutcome? _outcome;

    public OrchestrationExecutor(ITaskOrchestrator orchestrator, string instanceId, DataConverter converter, ILoggerFactory? loggerFactory)
    {
        _orchestrator = orchestrator;
        _context = new Context(this, instanceId, converter, loggerFactory ?? NullLoggerFactory.Instance);
    }

    public bool IsCompleted => _outcome is not null;

    /// <summary>Gets the event that started the execution, once it has been applied.</summary>
    public ExecutionStartedEvent? Started => _context.Started;

    /// <summary>Runs one step. <paramref name="past"/> is replayed; <paramref name="newEvents"/> are applied for the first time.</summary>
    public ExecutionStepResult Execute(IReadOnlyList<HistoryEvent> past, IReadOnlyList<HistoryEvent> newEvents)
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(_sync);
        _sync.Enter();
        var applied = new List<HistoryEvent>(newEvents.Count + 4);
        try
        {
            if (_sync.Violation is { } earlier)
            {
                Fail(new OrchestrationRuleViolationException(earlier));
            }

            _context.IsReplayingValue = true;
            foreach (var e in past)
            {
                if (_outcome is not null)
                {
                    break;
                }

                Apply(e, replaying: true);
            }

            _context.IsReplayingValue = false;
            _context.ConfirmReplayComplete();
            foreach (var e in newEvents)
            {
                if (_outcome is not null)
                {
                    // The step consumes every message it was given: an event that arrived after the message that made the
                    // orchestration continue as new belongs to the next execution, like the events already buffered.
                    if (_outcome.ContinuedAsNew && _context.ContinueAsNewInput is { Preserve: true } && e is EventRaisedEvent raised)
                    {
                        _outcome = _outcome with { CarryoverEvents = [.. _outcome.CarryoverEvents ?? [], raised] };
                    }

                    continue;
                }

                applied.Add(e);
                Apply(e, replaying: false);
            }

            if (_outcome is null && _run is not null && !_run.IsCompleted && !_context.HasOpenDurableWork)
            {
                Fail(new OrchestrationRuleViolationException(_sync.Violation ??
                    "The orchestrator is waiting for something that is not a durable task (no activity, timer, event, " +
                    "sub-orchestration or entity call is pending). Orchestrator code may only await durable tasks."));
            }
        }
        catch (NonDeterministicOrchestrationException ex)
        {
            Fail(ex);
        }
        finally
        {
            _sync.Leave();
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        var actions = _context.TakeNewActions();
        var history = new List<HistoryEvent>(applied.Count + actions.Count + 1);
        history.AddRange(applied);
        foreach (var action in actions)
        {
            history.Add(action.ToHistoryEvent(_context.CurrentUtcDateTime));
        }

        if (_outcome is not null && !_outcome.ContinuedAsNew)
        {
            history.Add(new ExecutionCompletedEvent(_outcome.Status, _outcome.Output, _outcome.Failure) { Timestamp = _context.CurrentUtcDateTime });
        }

        return new ExecutionStepResult
        {
            NewHistory = history,
            NewActions = actions,
            Outcome = _outcome,
            CustomStatus = _context.CustomStatusValue,
        };
    }

    private void Apply(HistoryEvent e, bool replaying)
    {
        switch (e)
        {
            case OrchestratorStartedEvent:
                _context.CurrentUtc = e.Timestamp;
                break;
            case ExecutionStartedEvent started:
                Start(started);
                break;
            case ExecutionTerminatedEvent terminated:
                _outcome = new ExecutionOutcome(OrchestrationRuntimeStatus.Terminated, terminated.Reason, null);
                break;
            case ExecutionSuspendedEvent or ExecutionResumedEvent or ExecutionCompletedEvent:
                break;
            case TaskScheduledEvent or SubOrchestrationInstanceCreatedEvent or TimerCreatedEvent or EventSentEvent
                or EntityOperationCalledEvent or EntityOperationSignaledEvent:
                _context.MatchRecordedAction(e);
                break;
            case TaskCompletedEvent c:
                _context.CompleteTask(c.TaskScheduledId, e);
                break;
            case TaskFailedEvent f:
                _context.CompleteTask(f.TaskScheduledId, e);
                break;
            case SubOrchestrationInstanceCompletedEvent c:
                _context.CompleteTask(c.TaskScheduledId, e);
                break;
            case SubOrchestrationInstanceFailedEvent f:
                _context.CompleteTask(f.TaskScheduledId, e);
                break;
            case TimerFiredEvent t:
                _context.CompleteTask(t.TimerId, e);
                break;
            case EntityOperationCompletedEvent c:
                _context.CompleteEntityCall(c.RequestId, e);
                break;
            case EntityOperationFailedEvent f:
                _context.CompleteEntityCall(f.RequestId, e);
                break;
            case EventRaisedEvent raised:
                _context.DeliverEvent(raised);
                break;
            default:
                break;
        }

        _sync.Drain();
        CheckCompletion();
        _ = replaying;
    }

    private void Start(ExecutionStartedEvent started)
    {
        if (_run is not null)
        {
            return;
        }

        _context.Started = started;
        object? input;
        try
        {
            input = _context.Converter.Deserialize(started.Input, _orchestrator.InputType);
        }
        catch (Exception ex)
        {
            Fail(new ArgumentException($"The input of orchestration '{started.Name}' could not be read as {_orchestrator.InputType.Name}: {ex.Message}", ex));
            return;
        }

        try
        {
            _run = _orchestrator.RunAsync(_context, input);
        }
        catch (Exception ex)
        {
            _run = Task.FromException<object?>(ex);
        }
    }

    private void CheckCompletion()
    {
        if (_outcome is not null || _run is null || !_run.IsCompleted)
        {
            return;
        }

        if (_run.IsFaulted)
        {
            var ex = _run.Exception!.InnerExceptions.Count == 1 ? _run.Exception.InnerException! : _run.Exception;
            if (ex is NonDeterministicOrchestrationException nd)
            {
                throw nd;
            }

            Fail(ex);
        }
        else if (_run.IsCanceled)
        {
            Fail(new TaskCanceledException("The orchestrator's task was cancelled."));
        }
        else if (_context.ContinueAsNewInput is { } next)
        {
            _outcome = new ExecutionOutcome(OrchestrationRuntimeStatus.ContinuedAsNew, null, null, ContinuedAsNew: true, NewInput: next.Input, CarryoverEvents: next.Preserve ? _context.BufferedEvents() : []);
        }
        else
        {
            string? output;
            try
            {
                output = _context.Converter.Serialize(_run.Result);
            }
            catch (Exception ex)
            {
                Fail(ex);
                return;
            }

            _outcome = new ExecutionOutcome(OrchestrationRuntimeStatus.Completed, output, null);
        }
    }

    private void Fail(Exception ex) =>
        _outcome ??= new ExecutionOutcome(OrchestrationRuntimeStatus.Failed, null, TaskFailureDetails.FromException(ex));

    private sealed record OpenTask(string Name, Task Task, Action<HistoryEvent> Complete);

    private sealed class EventWaiter(Task task, Action<string?> deliver)
    {
        public Task Task { get; } = task;

        public Action<string?> Deliver { get; } = deliver;
    }

    private sealed class Context : TaskOrchestrationContext
    {
        private readonly OrchestrationExecutor _executor;
        private readonly ILoggerFactory _loggerFactory;
        private readonly Dictionary<int, PendingAction> _unconfirmed = [];
        private readonly List<PendingAction> _newActions = [];
        private readonly Dictionary<int, OpenTask> _openTasks = [];
        private readonly Dictionary<string, OpenTask> _openEntityCalls = new(StringComparer.Ordinal);
        private readonly Dictionary<string, LinkedList<EventWaiter>> _waiters = new(StringComparer.OrdinalIgnoreCase);
        private readonly List<EventRaisedEvent> _buffered = [];
        private readonly EntityFeature _entities;
        private int _sequence;
        private int _guidCounter;

        public Context(OrchestrationExecutor executor, string instanceId, DataConverter converter, ILoggerFactory loggerFactory)
        {
            _executor = executor;
            InstanceId = instanceId;
            Converter = converter;
            _loggerFactory = loggerFactory;
            _entities = new EntityFeature(this);
        }

        public DataConverter Converter { get; }

        public ExecutionStartedEvent? Started { get; set; }

        public DateTime CurrentUtc { get; set; }

        public bool IsReplayingValue { get; set; }

        public string? CustomStatusValue { get; private set; }

        public (string? Input, bool Preserve)? ContinueAsNewInput { get; private set; }

        public override TaskName Name => Started?.Name ?? "unknown";

        public override string InstanceId { get; }

        public override ParentOrchestrationInstance? Parent =>
            Started?.ParentInstanceId is { } parent ? new ParentOrchestrationInstance(Started.ParentName ?? "unknown", parent) : null;

        public override DateTime CurrentUtcDateTime => CurrentUtc;

        public override bool IsReplaying => IsReplayingValue;

        public override TaskOrchestrationEntityFeature Entities => _entities;

        public bool HasOpenDurableWork =>
            _openTasks.Values.Any(t => !t.Task.IsCompleted)
            || _openEntityCalls.Values.Any(t => !t.Task.IsCompleted)
            || _waiters.Values.Any(list => list.Count > 0);

        public override T? GetInput<T>()
            where T : default => Converter.Deserialize<T>(Started?.Input);

        public override async Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null)
        {
            var serialized = Converter.Serialize(input);
            return await WithRetries(options?.Retry, () => ScheduleActivity<TResult>(name.Name, serialized)).ConfigureAwait(true);
        }

        public override async Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null)
        {
            var serialized = Converter.Serialize(input);
            var fixedId = (options as SubOrchestrationOptions)?.InstanceId;
            return await WithRetries(options?.Retry, () => ScheduleSubOrchestration<TResult>(orchestratorName.Name, fixedId ?? NewGuid().ToString("N"), serialized)).ConfigureAwait(true);
        }

        public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
        {
            EnsureOrchestratorThread();
            var fireAtUtc = fireAt.Kind == DateTimeKind.Local ? fireAt.ToUniversalTime() : DateTime.SpecifyKind(fireAt, DateTimeKind.Utc);
            var id = _sequence++;
            var tcs = new TaskCompletionSource();
            Schedule(new CreateTimerAction(id, fireAtUtc));
            _openTasks[id] = new OpenTask("timer", tcs.Task, _ => tcs.TrySetResult());
            if (cancellationToken.CanBeCanceled)
            {
                cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken));
            }

            return tcs.Task;
        }

        public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default)
        {
            EnsureOrchestratorThread();
            ArgumentException.ThrowIfNullOrEmpty(eventName);
            var index = _buffered.FindIndex(e => string.Equals(e.Name, eventName, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                var buffered = _buffered[index];
                _buffered.RemoveAt(index);
                try
                {
                    return Task.FromResult(Converter.Deserialize<T>(buffered.Input)!);
                }
                catch (Exception ex)
                {
                    return Task.FromException<T>(ex);
                }
            }

            var tcs = new TaskCompletionSource<T>();
            var waiter = new EventWaiter(tcs.Task, input =>
            {
                try
                {
                    tcs.TrySetResult(Converter.Deserialize<T>(input)!);
                }
                catch (Exception ex)
                {
                    tcs.TrySetException(ex);
                }
            });
            if (!_waiters.TryGetValue(eventName, out var list))
            {
                list = new LinkedList<EventWaiter>();
                _waiters[eventName] = list;
            }

            var node = list.AddLast(waiter);
            if (cancellationToken.CanBeCanceled)
            {
                cancellationToken.Register(() =>
                {
                    if (node.List is not null)
                    {
                        list.Remove(node);
                    }

                    tcs.TrySetCanceled(cancellationToken);
                });
            }

            return tcs.Task;
        }

        public override void SendEvent(string instanceId, string eventName, object? payload)
        {
            EnsureOrchestratorThread();
            ArgumentException.ThrowIfNullOrEmpty(instanceId);
            ArgumentException.ThrowIfNullOrEmpty(eventName);
            Schedule(new SendEventAction(_sequence++, instanceId, eventName, Converter.Serialize(payload)));
        }

        public override void SetCustomStatus(object? customStatus)
        {
            EnsureOrchestratorThread();
            CustomStatusValue = Converter.Serialize(customStatus);
        }

        public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true)
        {
            EnsureOrchestratorThread();
            ContinueAsNewInput = (Converter.Serialize(newInput), preserveUnprocessedEvents);
        }

        public override Guid NewGuid()
        {
            // Name-based (RFC 4122 version 5) so that every replay produces the same value.
            var name = $"{InstanceId}_{CurrentUtc:o}_{_guidCounter++}";
            var namespaceBytes = new Guid("9e952958-5e33-4daf-827f-2fa12937b875").ToByteArray();
            SwapByteOrder(namespaceBytes);
            var nameBytes = Encoding.UTF8.GetBytes(name);
            var data = new byte[namespaceBytes.Length + nameBytes.Length];
            namespaceBytes.CopyTo(data, 0);
            nameBytes.CopyTo(data, namespaceBytes.Length);
#pragma warning disable CA5350 // SHA-1 is what RFC 4122 version 5 specifies; this is not a security use.
            var hash = SHA1.HashData(data);
#pragma warning restore CA5350
            var bytes = new byte[16];
            Array.Copy(hash, bytes, 16);
            bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
            bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
            SwapByteOrder(bytes);
            return new Guid(bytes);
        }

        public override ILogger CreateReplaySafeLogger(string categoryName) =>
            new ReplaySafeLogger(this, _loggerFactory.CreateLogger(categoryName));

        public void ConfirmReplayComplete()
        {
            // Actions the code took during replay that history does not hold are new: the code is past the recorded frontier.
            foreach (var action in _unconfirmed.Values.OrderBy(a => a.TaskId))
            {
                _newActions.Add(action);
            }

            _unconfirmed.Clear();
        }

        public List<PendingAction> TakeNewActions()
        {
            var actions = new List<PendingAction>(_newActions);
            _newActions.Clear();
            return actions;
        }

        public void MatchRecordedAction(HistoryEvent recorded)
        {
            if (!_unconfirmed.Remove(recorded.EventId, out var action))
            {
                throw new NonDeterministicOrchestrationException(recorded.EventId,
                    $"history has {Describe(recorded)} as task #{recorded.EventId}, but the orchestrator code did not schedule it. " +
                    "Was the code changed while instances were running?");
            }

            if (!action.Matches(recorded))
            {
                throw new NonDeterministicOrchestrationException(recorded.EventId,
                    $"the orchestrator code called {action.Describe()} as task #{action.TaskId}, but history has {Describe(recorded)}. " +
                    "Was the code changed while instances were running?");
            }
        }

        public void CompleteTask(int taskId, HistoryEvent e)
        {
            if (_openTasks.Remove(taskId, out var open))
            {
                open.Complete(e);
            }
        }

        public void CompleteEntityCall(string requestId, HistoryEvent e)
        {
            if (_openEntityCalls.Remove(requestId, out var open))
            {
                open.Complete(e);
            }
        }

        public void DeliverEvent(EventRaisedEvent raised)
        {
            if (_waiters.TryGetValue(raised.Name, out var list) && list.First is { } first)
            {
                list.RemoveFirst();
                first.Value.Deliver(raised.Input);
                return;
            }

            _buffered.Add(raised);
        }

        public List<EventRaisedEvent> BufferedEvents() => [.. _buffered];

        public Task<TResult> CallEntity<TResult>(EntityInstanceId id, string operationName, object? input)
        {
            EnsureOrchestratorThread();
            var requestId = NewGuid().ToString("N");
            var taskId = _sequence++;
            var target = id.ToString();
            Schedule(new CallEntityAction(taskId, requestId, target, operationName, Converter.Serialize(input)));
            var tcs = new TaskCompletionSource<TResult>();
            _openEntityCalls[requestId] = new OpenTask(operationName, tcs.Task, e =>
            {
                switch (e)
                {
                    case EntityOperationCompletedEvent c:
                        try
                        {
                            tcs.TrySetResult(Converter.Deserialize<TResult>(c.Result)!);
                        }
                        catch (Exception ex)
                        {
                            tcs.TrySetException(ex);
                        }

                        break;
                    case EntityOperationFailedEvent f:
                        tcs.TrySetException(new EntityOperationFailedException(target, operationName, f.Failure));
                        break;
                    default:
                        break;
                }
            });
            return tcs.Task;
        }

        public void SignalEntity(EntityInstanceId id, string operationName, object? input, SignalEntityOptions? options)
        {
            EnsureOrchestratorThread();
            var requestId = NewGuid().ToString("N");
            Schedule(new SignalEntityAction(_sequence++, requestId, id.ToString(), operationName, Converter.Serialize(input), options?.SignalTime?.UtcDateTime));
        }

        private static string Describe(HistoryEvent e) => e switch
        {
            TaskScheduledEvent t => $"CallActivityAsync('{t.Name}')",
            SubOrchestrationInstanceCreatedEvent s => $"CallSubOrchestratorAsync('{s.Name}')",
            TimerCreatedEvent => "CreateTimer",
            EventSentEvent s => $"SendEvent('{s.Name}')",
            EntityOperationCalledEvent c => $"CallEntityAsync('{c.TargetInstanceId}', '{c.Operation}')",
            EntityOperationSignaledEvent s => $"SignalEntityAsync('{s.TargetInstanceId}', '{s.Operation}')",
            _ => e.GetType().Name,
        };

        private static void SwapByteOrder(byte[] guid)
        {
            (guid[0], guid[3]) = (guid[3], guid[0]);
            (guid[1], guid[2]) = (guid[2], guid[1]);
            (guid[4], guid[5]) = (guid[5], guid[4]);
            (guid[6], guid[7]) = (guid[7], guid[6]);
        }

        private void Schedule(PendingAction action)
        {
            if (IsReplayingValue)
            {
                _unconfirmed[action.TaskId] = action;
            }
            else
            {
                _newActions.Add(action);
            }
        }

        private void EnsureOrchestratorThread()
        {
            if (!_executor._sync.IsOwnerThread)
            {
                const string message = "Orchestrator code called the context from a thread other than the orchestration thread " +
                    "(after ConfigureAwait(false), Task.Run or a non-durable await). Orchestrator code must stay on its thread.";
                _executor._sync.Post(static _ => { }, null);
                throw new OrchestrationRuleViolationException(message);
            }
        }

        private async Task<TResult> WithRetries<TResult>(RetryPolicy? policy, Func<Task<TResult>> attempt)
        {
            if (policy is null)
            {
                return await attempt().ConfigureAwait(true);
            }

            var startedAt = CurrentUtc;
            for (var number = 1; ; number++)
            {
                try
                {
                    return await attempt().ConfigureAwait(true);
                }
                catch (TaskFailedException ex) when (number < policy.MaxNumberOfAttempts
                    && (policy.HandleFailure?.Invoke(ex.FailureDetails) ?? true)
                    && (policy.RetryTimeout == Timeout.InfiniteTimeSpan || CurrentUtc - startedAt < policy.RetryTimeout))
                {
                    await CreateTimer(policy.GetDelay(number), CancellationToken.None).ConfigureAwait(true);
                }
            }
        }

        private Task<TResult> ScheduleActivity<TResult>(string name, string? input)
        {
            EnsureOrchestratorThread();
            var id = _sequence++;
            Schedule(new ScheduleTaskAction(id, name, input));
            var tcs = new TaskCompletionSource<TResult>();
            _openTasks[id] = new OpenTask(name, tcs.Task, e => CompleteTyped(tcs, name, id, e));
            return tcs.Task;
        }

        private Task<TResult> ScheduleSubOrchestration<TResult>(string name, string instanceId, string? input)
        {
            EnsureOrchestratorThread();
            var id = _sequence++;
            Schedule(new CreateSubOrchestrationAction(id, name, instanceId, input));
            var tcs = new TaskCompletionSource<TResult>();
            _openTasks[id] = new OpenTask(name, tcs.Task, e => CompleteTyped(tcs, name, id, e));
            return tcs.Task;
        }

        private void CompleteTyped<TResult>(TaskCompletionSource<TResult> tcs, string name, int id, HistoryEvent e)
        {
            switch (e)
            {
                case TaskCompletedEvent c:
                    SetResult(tcs, c.Result);
                    break;
                case SubOrchestrationInstanceCompletedEvent c:
                    SetResult(tcs, c.Result);
                    break;
                case TaskFailedEvent f:
                    tcs.TrySetException(new TaskFailedException(name, id, f.Failure));
                    break;
                case SubOrchestrationInstanceFailedEvent f:
                    tcs.TrySetException(new TaskFailedException(name, id, f.Failure));
                    break;
                default:
                    break;
            }
        }

        private void SetResult<TResult>(TaskCompletionSource<TResult> tcs, string? result)
        {
            try
            {
                tcs.TrySetResult(Converter.Deserialize<TResult>(result)!);
            }
            catch (Exception ex)
            {
                tcs.TrySetException(ex);
            }
        }
    }

    private sealed class EntityFeature(Context context) : TaskOrchestrationEntityFeature
    {
        public override Task<TResult> CallEntityAsync<TResult>(EntityInstanceId id, string operationName, object? input = null) =>
            context.CallEntity<TResult>(id, operationName, input);

        public override Task SignalEntityAsync(EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null)
        {
            context.SignalEntity(id, operationName, input, options);
            return Task.CompletedTask;
        }
    }

    private sealed class ReplaySafeLogger(TaskOrchestrationContext context, ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => !context.IsReplaying && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!context.IsReplaying)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
