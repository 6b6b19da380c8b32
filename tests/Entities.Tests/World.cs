using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Grpc;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.DurableTask.Worker.Entities;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.Entities.Tests;

/// <summary>
/// A tiny in-memory backend for the tests: a FIFO message queue, entity rows (user state + scheduler state) driven by
/// <see cref="EntityBatchProcessor"/>, and orchestrations driven by the SDK's own
/// <see cref="GrpcOrchestrationRunner.LoadAndRun(string, ITaskOrchestrator, IServiceProvider?)"/>.
/// </summary>
internal sealed class World
{
    public sealed record Message(long Id, string Target, P.HistoryEvent Event, DateTime VisibleAt);

    public sealed class Orchestration
    {
        public required string InstanceId { get; init; }
        public required string ExecutionId { get; init; }
        public required ITaskOrchestrator Implementation { get; init; }
        public List<P.HistoryEvent> History { get; } = [];
        public P.CompleteOrchestrationAction? Completion { get; set; }
        public List<P.OrchestratorAction> AllActions { get; } = [];
    }

    readonly Dictionary<string, Func<ITaskEntity>> _entities = new(StringComparer.Ordinal);
    readonly Dictionary<string, Func<ITaskOrchestrator>> _orchestrators = new(StringComparer.Ordinal);
    readonly EntityBatchProcessor _processor;
    long _nextId;

    public World(int maxOperationsPerStep = 1000, bool enableEntitySupport = true, bool sendEntityParameters = true)
    {
        _processor = new EntityBatchProcessor(null, maxOperationsPerStep);
        _sendEntityParameters = sendEntityParameters;
        this.Services = new SingleServiceProvider(
            new DurableTaskShimFactory(new DurableTaskWorkerOptions { EnableEntitySupport = enableEntitySupport }, NullLoggerFactory.Instance));
    }

    readonly bool _sendEntityParameters;

    public IServiceProvider Services { get; }

    public DateTime Now { get; set; } = new(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc);

    public List<Message> Queue { get; } = [];

    public Dictionary<string, (string? State, string? Scheduler)> EntityRows { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Orchestration> Orchestrations { get; } = new(StringComparer.Ordinal);

    public List<EntityStepResult> EntitySteps { get; } = [];

    public List<(string Target, P.HistoryEvent Event)> SentByOrchestrations { get; } = [];

    public World Entity(string name, Func<ITaskEntity> factory)
    {
        _entities[name] = factory;
        return this;
    }

    public World Orchestrator(string name, Func<ITaskOrchestrator> factory)
    {
        _orchestrators[name] = factory;
        return this;
    }

    public void Enqueue(string target, P.HistoryEvent e, DateTime? visibleAt = null) =>
        this.Queue.Add(new Message(++_nextId, target, e, visibleAt ?? this.Now));

    public static P.HistoryEvent Raised(string name, string? input, DateTime at) => new()
    {
        EventId = -1,
        Timestamp = Timestamp.FromDateTime(at),
        EventRaised = new P.EventRaisedEvent { Name = name, Input = input },
    };

    public void StartOrchestration(string name, string instanceId, string? input)
    {
        var started = new OrchestrationStart(name, instanceId, input);
        this.Enqueue(instanceId, started.ToEvent(this.Now));
    }

    sealed record OrchestrationStart(string Name, string InstanceId, string? Input)
    {
        public P.HistoryEvent ToEvent(DateTime now) => new EntityOrchestrationStart(this.Name, this.InstanceId, null, this.Input, null).ToExecutionStartedEvent(now);
    }

    /// <summary>Delivers the messages of the instance whose visible message is oldest; false when nothing is visible.</summary>
    public async Task<bool> StepAsync()
    {
        Message? first = this.Queue.Find(m => m.VisibleAt <= this.Now);
        if (first is null)
        {
            return false;
        }

        List<Message> batch = this.Queue.FindAll(m => m.Target == first.Target && m.VisibleAt <= this.Now);
        this.Queue.RemoveAll(batch.Contains);
        if (EntityMessageNames.IsEntityInstanceId(first.Target))
        {
            await this.RunEntityAsync(first.Target, batch);
        }
        else
        {
            this.RunOrchestration(first.Target, batch);
        }

        return true;
    }

    public async Task RunUntilIdleAsync(int maxSteps = 500)
    {
        for (int i = 0; i < maxSteps; i++)
        {
            if (!await this.StepAsync())
            {
                return;
            }
        }

        throw new InvalidOperationException("The world did not settle.");
    }

    async Task RunEntityAsync(string instanceId, List<Message> batch)
    {
        string name = instanceId[1..instanceId.IndexOf('@', 1)];
        ITaskEntity? implementation = _entities.TryGetValue(name, out Func<ITaskEntity>? factory) ? factory() : null;
        this.EntityRows.TryGetValue(instanceId, out (string? State, string? Scheduler) row);
        EntityStepResult result = await _processor.RunAsync(
            new EntityStepRequest(instanceId, row.State, row.Scheduler, batch.ConvertAll(m => new EntityInboundMessage(m.Id, m.Event)), this.Now),
            implementation,
            this.Services);
        this.EntitySteps.Add(result);
        if (result.IsEmpty)
        {
            this.EntityRows.Remove(instanceId);
        }
        else
        {
            this.EntityRows[instanceId] = (result.EntityState, result.SchedulerState);
        }

        foreach (EntityOutgoingMessage m in result.Messages)
        {
            this.Enqueue(m.InstanceId, m.Event, m.VisibleAt);
        }

        foreach (EntityOrchestrationStart start in result.OrchestrationStarts)
        {
            this.Enqueue(start.InstanceId, start.ToExecutionStartedEvent(this.Now), start.ScheduledStartTime);
        }
    }

    void RunOrchestration(string instanceId, List<Message> batch)
    {
        if (!this.Orchestrations.TryGetValue(instanceId, out Orchestration? orchestration))
        {
            P.ExecutionStartedEvent started = batch[0].Event.ExecutionStarted
                ?? throw new InvalidOperationException($"First message to {instanceId} is not ExecutionStarted.");
            orchestration = new Orchestration
            {
                InstanceId = instanceId,
                ExecutionId = started.OrchestrationInstance.ExecutionId,
                Implementation = _orchestrators[started.Name](),
            };
            this.Orchestrations[instanceId] = orchestration;
        }

        if (orchestration.Completion is not null)
        {
            return;
        }

        var request = new P.OrchestratorRequest
        {
            InstanceId = instanceId,
            ExecutionId = orchestration.ExecutionId,
        };
        if (_sendEntityParameters)
        {
            request.EntityParameters = new P.OrchestratorEntityParameters { EntityMessageReorderWindow = Duration.FromTimeSpan(TimeSpan.Zero) };
        }

        request.PastEvents.AddRange(orchestration.History);
        var newEvents = new List<P.HistoryEvent>
        {
            new() { EventId = -1, Timestamp = Timestamp.FromDateTime(this.Now), OrchestratorStarted = new P.OrchestratorStartedEvent() },
        };
        newEvents.AddRange(batch.Select(m => m.Event));
        request.NewEvents.AddRange(newEvents);

        string encoded = GrpcOrchestrationRunner.LoadAndRun(Convert.ToBase64String(request.ToByteArray()), orchestration.Implementation, this.Services);
        P.OrchestratorResponse response = P.OrchestratorResponse.Parser.ParseFrom(Convert.FromBase64String(encoded));
        orchestration.History.AddRange(newEvents);
        foreach (P.OrchestratorAction action in response.Actions)
        {
            orchestration.AllActions.Add(action);
            switch (action.OrchestratorActionTypeCase)
            {
                case P.OrchestratorAction.OrchestratorActionTypeOneofCase.SendEvent:
                    P.SendEventAction send = action.SendEvent;
                    orchestration.History.Add(new P.HistoryEvent
                    {
                        EventId = action.Id,
                        Timestamp = Timestamp.FromDateTime(this.Now),
                        EventSent = new P.EventSentEvent { InstanceId = send.Instance.InstanceId, Name = send.Name, Input = send.Data },
                    });
                    P.HistoryEvent raised = Raised(send.Name, send.Data, this.Now);
                    this.SentByOrchestrations.Add((send.Instance.InstanceId, raised));
                    DateTime visibleAt = EntityMessageNames.TryGetScheduledTime(send.Name, out DateTime due) && due > this.Now ? due : this.Now;
                    this.Enqueue(send.Instance.InstanceId, raised, visibleAt);
                    break;
                case P.OrchestratorAction.OrchestratorActionTypeOneofCase.CompleteOrchestration:
                    orchestration.Completion = action.CompleteOrchestration;
                    break;
                default:
                    throw new NotSupportedException($"The test world does not run {action.OrchestratorActionTypeCase} actions.");
            }
        }

        orchestration.History.Add(new P.HistoryEvent
        {
            EventId = -1,
            Timestamp = Timestamp.FromDateTime(this.Now),
            OrchestratorCompleted = new P.OrchestratorCompletedEvent(),
        });
    }

    sealed class SingleServiceProvider(DurableTaskShimFactory factory) : IServiceProvider
    {
        public object? GetService(System.Type serviceType) => serviceType == typeof(DurableTaskShimFactory) ? factory : null;
    }
}
