using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Grpc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.DurableTask.Worker.Entities;

/// <summary>
/// The entity side of DTFx's entity protocol, for one leased entity work item: reads the delivered <c>op</c> /
/// <c>op@time</c> / <c>release</c> / <c>continue</c> messages, keeps the lock and the requests deferred while locked,
/// runs operations in batches through <see cref="GrpcEntityRunner.LoadAndRunAsync(string, ITaskEntity, ExtendedSessionsCache?, IServiceProvider?)"/>,
/// and turns the results and actions into replies, signals and orchestration starts. No store code: the caller loads
/// the inputs and commits the result (see README.md in this folder).
/// </summary>
internal sealed class EntityBatchProcessor
{
    /// <summary>The error type callers see when no entity of the name is registered (as the SDK's gRPC worker answers).</summary>
    public const string EntityNotFoundErrorType = "EntityTaskNotFound";

    /// <summary>A scheduled signal delivered at most this early runs now (DTFx allows 100 ms).</summary>
    static readonly TimeSpan EarlyTolerance = TimeSpan.FromMilliseconds(100);

    readonly ILogger _logger;
    readonly int _maxOperationsPerStep;

    /// <param name="logger">Where dropped messages and steps are logged (never payloads).</param>
    /// <param name="maxOperationsPerStep">At most this many operations run in one step; a longer backlog stays in the
    /// scheduler state and the entity sends itself a <c>continue</c> message to go on in the next step.</param>
    public EntityBatchProcessor(ILogger<EntityBatchProcessor>? logger = null, int maxOperationsPerStep = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOperationsPerStep, 1);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _maxOperationsPerStep = maxOperationsPerStep;
    }

    /// <summary>
    /// Runs one step of the entity <paramref name="request"/> names.
    /// </summary>
    /// <param name="request">The entity, its stored state and scheduler state, the delivered messages and the time.</param>
    /// <param name="implementation">The registered entity, or null when no entity of that name is registered (calls are
    /// answered with an <see cref="EntityNotFoundErrorType"/> failure, signals dropped; locks still work).</param>
    /// <param name="services">Passed to the runner, which resolves <c>DurableTaskShimFactory</c> from it (its
    /// <c>DurableTaskWorkerOptions.DataConverter</c> (de)serializes inputs, results and state).</param>
    /// <param name="sessions">Passed to the runner. Extended sessions are not switched on (the batch request carries no
    /// session properties and always includes the state), so the runner neither reads nor writes it: the state is in
    /// hand from the store row, and the 1.28.0 runner caches only that string.</param>
    /// <param name="cancellationToken">Checked between batches; a cancelled step commits nothing.</param>
    /// <exception cref="ArgumentException">The instance id is not an entity id.</exception>
    /// <exception cref="InvalidOperationException">The runner asked for state it was given (a framework fault; the step is not
    /// committed and the work item can be retried).</exception>
    public async Task<EntityStepResult> RunAsync(
        EntityStepRequest request,
        ITaskEntity? implementation,
        IServiceProvider? services,
        ExtendedSessionsCache? sessions = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!EntityMessageNames.IsEntityInstanceId(request.InstanceId))
        {
            throw new ArgumentException($"'{request.InstanceId}' is not an entity instance id (@name@key).", nameof(request));
        }

        var step = new Step(this, request, implementation, services, sessions);
        step.Receive();
        await step.RunAsync(cancellationToken).ConfigureAwait(false);
        EntityStepResult result = step.Finish();
        _logger.EntityStep(
            request.InstanceId, request.Messages.Count, result.Counts.Operations, result.Counts.Failed, result.Counts.Replies,
            result.Counts.LocksGranted, result.Counts.Releases, result.Counts.Deferred, result.Counts.Dropped);
        return result;
    }

    /// <summary>Reads a stored scheduler state (null or empty: unlocked, nothing deferred).</summary>
    internal static EntitySchedulerState ReadSchedulerState(string? json, out string? unreadableReason)
    {
        unreadableReason = null;
        if (string.IsNullOrEmpty(json))
        {
            return new EntitySchedulerState();
        }

        if (EntityJson.TryDeserialize(json, out EntitySchedulerState? state, out unreadableReason))
        {
            state!.Queue?.RemoveAll(r => r is null);
            return state;
        }

        return new EntitySchedulerState();
    }

    /// <summary>Writes a scheduler state; null when unlocked with nothing deferred.</summary>
    internal static string? WriteSchedulerState(EntitySchedulerState state)
    {
        if (state.Queue is { Count: 0 })
        {
            state.Queue = null;
        }

        return state.IsEmpty ? null : EntityJson.Serialize(state);
    }

    sealed class Step
    {
        readonly EntityBatchProcessor _owner;
        readonly EntityStepRequest _request;
        readonly ITaskEntity? _implementation;
        readonly IServiceProvider? _services;
        readonly ExtendedSessionsCache? _sessions;
        readonly DateTime _now;
        readonly string _entityName;
        readonly EntitySchedulerState _scheduler;
        readonly List<EntityOutgoingMessage> _messages = [];
        readonly List<EntityOrchestrationStart> _starts = [];
        string? _state;
        int _operations;
        int _failed;
        int _replies;
        int _locksGranted;
        int _releases;
        int _rescheduled;
        int _dropped;

        public Step(
            EntityBatchProcessor owner,
            EntityStepRequest request,
            ITaskEntity? implementation,
            IServiceProvider? services,
            ExtendedSessionsCache? sessions)
        {
            _owner = owner;
            _request = request;
            _implementation = implementation;
            _services = services;
            _sessions = sessions;
            _now = EntityTime.AsUtc(request.Now);
            _entityName = request.InstanceId[1..request.InstanceId.IndexOf('@', 1)];
            _state = request.EntityState;
            _scheduler = ReadSchedulerState(request.SchedulerState, out string? unreadable);
            if (unreadable is not null)
            {
                owner._logger.EntitySchedulerStateUnreadable(request.InstanceId, unreadable);
            }
        }

        ILogger Logger => _owner._logger;

        string InstanceId => _request.InstanceId;

        /// <summary>
        /// DTFx's DetermineWork, first half: every message in delivery order; requests join the queue (the lock
        /// holder's in front of the deferred ones), releases unlock.
        /// </summary>
        public void Receive()
        {
            List<EntityRequestMessage>? fromLockHolder = null;
            foreach (EntityInboundMessage message in _request.Messages)
            {
                P.HistoryEvent e = message.Event;
                if (e?.EventTypeCase != P.HistoryEvent.EventTypeOneofCase.EventRaised)
                {
                    this.Drop(message, e?.EventTypeCase.ToString() ?? "(null)", "not an EventRaised event");
                    continue;
                }

                string name = e.EventRaised.Name ?? "";
                if (EntityMessageNames.IsRequest(name))
                {
                    if (!this.TryReadRequest(message, name, out EntityRequestMessage? request))
                    {
                        continue;
                    }

                    if (request!.ScheduledTime is DateTime due && EntityTime.AsUtc(due) - _now > EarlyTolerance)
                    {
                        // Delivered before its time (DTFx reschedules too): send it to ourselves for later.
                        DateTime dueUtc = EntityTime.AsUtc(due);
                        this.Send(InstanceId, EntityMessageNames.ScheduledRequest(dueUtc), EntityJson.Serialize(request), dueUtc, null);
                        _rescheduled++;
                        continue;
                    }

                    if (_scheduler.LockedBy is not null && _scheduler.LockedBy == request.ParentInstanceId)
                    {
                        (fromLockHolder ??= []).Add(request);
                    }
                    else
                    {
                        _scheduler.Enqueue(request);
                    }
                }
                else if (EntityMessageNames.IsRelease(name))
                {
                    if (!EntityJson.TryDeserialize(e.EventRaised.Input, out EntityReleaseMessage? release, out string? reason))
                    {
                        this.Drop(message, name, reason!);
                        continue;
                    }

                    if (release!.ParentInstanceId is not null && _scheduler.LockedBy == release.ParentInstanceId)
                    {
                        Logger.EntityReleased(InstanceId, release.ParentInstanceId);
                        _scheduler.LockedBy = null;
                        _releases++;
                    }
                    else
                    {
                        Logger.EntityReleaseIgnored(InstanceId, release.ParentInstanceId ?? "(none)", _scheduler.LockedBy ?? "(nobody)");
                    }
                }
                else if (name == EntityMessageNames.Continue)
                {
                    // Only wakes the entity up for its backlog.
                }
                else
                {
                    this.Drop(message, name, "not an entity message (op, op@<time>, release, continue)");
                }
            }

            if (fromLockHolder is not null)
            {
                _scheduler.PutInFront(fromLockHolder);
            }
        }

        bool TryReadRequest(EntityInboundMessage message, string name, out EntityRequestMessage? request)
        {
            if (!EntityJson.TryDeserialize(message.Event.EventRaised.Input, out request, out string? reason))
            {
                this.Drop(message, name, reason!);
                return false;
            }

            string? problem = null;
            if (request!.Id == Guid.Empty)
            {
                problem = "request without an id";
            }
            else if (request.LocksEntities)
            {
                if (request.ParentInstanceId is null)
                {
                    problem = "lock request without a parent";
                }
                else if (request.LockSet!.Count == 0 || request.Position < 0 || request.Position >= request.LockSet.Count)
                {
                    problem = $"lock request with position {request.Position} outside its lock set of {request.LockSet.Count}";
                }
                else if (request.LockSet.Exists(l => string.IsNullOrEmpty(l?.Name) || l.Key is null))
                {
                    problem = "lock set with an entry that has no name or key";
                }
            }
            else if (request.Operation is null)
            {
                problem = "request without an operation";
            }
            else if (!request.IsSignal && request.ParentInstanceId is null)
            {
                problem = "call without a parent to answer";
            }

            if (problem is not null)
            {
                this.Drop(message, name, problem);
                request = null;
                return false;
            }

            return true;
        }

        void Drop(EntityInboundMessage message, string name, string reason)
        {
            Logger.EntityMessageDropped(InstanceId, message.MessageId, name, reason);
            _dropped++;
        }

        /// <summary>
        /// DTFx's DetermineWork, second half, in a loop: take operations from the head of the queue while it may run,
        /// up to a lock request; run them as one batch; then grant the lock. Go on while the head may run, so a
        /// release's deferred requests run in the step that received it.
        /// </summary>
        public async Task RunAsync(CancellationToken cancellationToken)
        {
            while (_scheduler.MayDequeue())
            {
                if (_operations >= _owner._maxOperationsPerStep)
                {
                    Logger.EntityBacklogContinued(InstanceId, _scheduler.Queue!.Count, _owner._maxOperationsPerStep);
                    this.Send(InstanceId, EntityMessageNames.Continue, null, _now, null);
                    return;
                }

                cancellationToken.ThrowIfCancellationRequested();
                var batch = new List<EntityRequestMessage>();
                EntityRequestMessage? lockRequest = null;
                while (_scheduler.MayDequeue() && _operations + batch.Count < _owner._maxOperationsPerStep)
                {
                    EntityRequestMessage next = _scheduler.Dequeue();
                    if (next.LocksEntities)
                    {
                        lockRequest = next;
                        break;
                    }

                    batch.Add(next);
                }

                int left = batch.Count > 0 ? await this.RunBatchAsync(batch).ConfigureAwait(false) : 0;
                if (left > 0)
                {
                    // The runner left operations over; they are back in front of the queue for the next step.
                    if (lockRequest is not null)
                    {
                        _scheduler.Queue!.Insert(left, lockRequest);
                    }

                    return;
                }

                if (lockRequest is not null)
                {
                    this.Grant(lockRequest);
                }
            }
        }

        /// <summary>DTFx's ProcessLockRequest: lock for the parent, forward to the next entity of the set or answer.</summary>
        void Grant(EntityRequestMessage lockRequest)
        {
            _scheduler.LockedBy = lockRequest.ParentInstanceId;
            _locksGranted++;
            Logger.EntityLocked(InstanceId, lockRequest.ParentInstanceId!, lockRequest.Id, lockRequest.Position, lockRequest.LockSet!.Count);
            lockRequest.Position++;
            if (lockRequest.Position < lockRequest.LockSet.Count)
            {
                string next = lockRequest.LockSet[lockRequest.Position].ToString();
                this.Send(next, EntityMessageNames.Request, EntityJson.Serialize(lockRequest), _now, null);
            }
            else
            {
                this.Reply(lockRequest, new EntityResponseMessage { Result = EntityMessageNames.LockAcquisitionCompleted });
            }
        }

        /// <summary>Runs one batch; returns how many operations the runner left over (put back in front of the queue).</summary>
        async Task<int> RunBatchAsync(List<EntityRequestMessage> batch)
        {
            _operations += batch.Count;
            if (_implementation is null)
            {
                int calls = 0;
                var failure = new EntityResponseMessage
                {
                    FailureDetails = new EntityFailureDetails
                    {
                        ErrorType = EntityNotFoundErrorType,
                        ErrorMessage = $"No entity task named '{_entityName}' was found.",
                        IsNonRetriable = true,
                    },
                };
                foreach (EntityRequestMessage request in batch)
                {
                    if (!request.IsSignal)
                    {
                        this.Reply(request, failure);
                        calls++;
                    }
                }

                _failed += batch.Count;
                _dropped += batch.Count - calls;
                Logger.EntityNotRegistered(InstanceId, _entityName, calls, batch.Count - calls);
                return 0;
            }

            var batchRequest = new P.EntityBatchRequest { InstanceId = InstanceId, EntityState = _state };
            foreach (EntityRequestMessage request in batch)
            {
                batchRequest.Operations.Add(new P.OperationRequest
                {
                    Operation = request.Operation,
                    RequestId = request.Id.ToString("D"),
                    Input = request.Input,
                });
            }

            string encoded = await GrpcEntityRunner.LoadAndRunAsync(
                Convert.ToBase64String(batchRequest.ToByteArray()), _implementation, _sessions, _services).ConfigureAwait(false);
            P.EntityBatchResult result = P.EntityBatchResult.Parser.ParseFrom(Convert.FromBase64String(encoded));
            if (result.RequiresState)
            {
                throw new InvalidOperationException($"The entity runner asked for the state of {InstanceId}, which the batch request carried.");
            }

            int answered = Math.Min(result.Results.Count, batch.Count);
            for (int i = 0; i < answered; i++)
            {
                P.OperationResult operationResult = result.Results[i];
                EntityResponseMessage response;
                if (operationResult.ResultTypeCase == P.OperationResult.ResultTypeOneofCase.Failure)
                {
                    _failed++;
                    response = new EntityResponseMessage { FailureDetails = ToFailureDetails(operationResult.Failure.FailureDetails) };
                }
                else
                {
                    response = new EntityResponseMessage { Result = operationResult.Success?.Result };
                }

                if (!batch[i].IsSignal)
                {
                    this.Reply(batch[i], response);
                }
            }

            if (answered < batch.Count)
            {
                if (result.FailureDetails is not null)
                {
                    // DTFx: a batch-level failure is the result of every operation it did not run.
                    var failure = new EntityResponseMessage
                    {
                        Result = result.FailureDetails.ErrorMessage,
                        ErrorMessage = "entity dispatch failed",
                        FailureDetails = ToFailureDetails(result.FailureDetails),
                    };
                    for (int i = answered; i < batch.Count; i++)
                    {
                        _failed++;
                        if (!batch[i].IsSignal)
                        {
                            this.Reply(batch[i], failure);
                        }
                    }
                }
                else
                {
                    // DTFx: operations the runner did not get to go back to the front of the queue, for the next step.
                    _operations -= batch.Count - answered;
                    _scheduler.PutInFront(batch.GetRange(answered, batch.Count - answered));
                    this.Send(InstanceId, EntityMessageNames.Continue, null, _now, null);
                }
            }

            _state = result.EntityState;

            foreach (P.OperationAction action in result.Actions)
            {
                switch (action.OperationActionTypeCase)
                {
                    case P.OperationAction.OperationActionTypeOneofCase.SendSignal:
                        this.Signal(action.SendSignal);
                        break;
                    case P.OperationAction.OperationActionTypeOneofCase.StartNewOrchestration:
                        P.StartNewOrchestrationAction start = action.StartNewOrchestration;
                        _starts.Add(new EntityOrchestrationStart(
                            start.Name,
                            start.InstanceId,
                            string.IsNullOrEmpty(start.Version) ? null : start.Version,
                            start.Input,
                            start.ScheduledTime?.ToDateTime()));
                        break;
                }
            }

            return result.FailureDetails is null ? batch.Count - answered : 0;
        }

        /// <summary>DTFx's SendSignalMessage: a signal request from this entity, scheduled ones named <c>op@due</c>.</summary>
        void Signal(P.SendSignalAction signal)
        {
            DateTime? due = signal.ScheduledTime?.ToDateTime();
            var message = new EntityRequestMessage
            {
                ParentInstanceId = InstanceId,
                Id = Guid.NewGuid(),
                IsSignal = true,
                Operation = signal.Name,
                Input = signal.Input,
                ScheduledTime = due,
            };
            string name = due is DateTime at ? EntityMessageNames.ScheduledRequest(at) : EntityMessageNames.Request;
            DateTime visibleAt = due is DateTime when && when > _now ? when : _now;
            this.Send(signal.InstanceId, name, EntityJson.Serialize(message), visibleAt, null);
        }

        void Reply(EntityRequestMessage request, EntityResponseMessage response)
        {
            _replies++;
            this.Send(
                request.ParentInstanceId!,
                EntityMessageNames.Response(request.Id),
                EntityJson.Serialize(response),
                _now,
                request.ParentExecutionId);
        }

        void Send(string instanceId, string name, string? input, DateTime visibleAt, string? targetExecutionId)
        {
            var e = new P.HistoryEvent
            {
                EventId = -1,
                Timestamp = Timestamp.FromDateTime(_now),
                EventRaised = new P.EventRaisedEvent { Name = name, Input = input },
            };
            _messages.Add(new EntityOutgoingMessage(instanceId, e, visibleAt, targetExecutionId));
        }

        public EntityStepResult Finish() => new(
            _state,
            WriteSchedulerState(_scheduler),
            _messages,
            _starts,
            new EntityStepCounts(
                _operations,
                _failed,
                _replies,
                _locksGranted,
                _releases,
                _scheduler.Queue?.Count ?? 0,
                _rescheduled,
                _dropped));

        static EntityFailureDetails? ToFailureDetails(P.TaskFailureDetails? details)
        {
            if (details is null)
            {
                return null;
            }

            Dictionary<string, JsonElement>? properties = null;
            if (details.Properties.Count > 0)
            {
                properties = new Dictionary<string, JsonElement>(details.Properties.Count, StringComparer.Ordinal);
                foreach (KeyValuePair<string, Value> pair in details.Properties)
                {
                    properties[pair.Key] = JsonDocument.Parse(JsonFormatter.Default.Format(pair.Value)).RootElement.Clone();
                }
            }

            return new EntityFailureDetails
            {
                ErrorType = details.ErrorType,
                ErrorMessage = details.ErrorMessage,
                StackTrace = details.StackTrace,
                InnerFailure = ToFailureDetails(details.InnerFailure),
                IsNonRetriable = details.IsNonRetriable,
                Properties = properties,
            };
        }
    }
}
