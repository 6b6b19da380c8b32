using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Logging;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Worker.Entities;

namespace Serverless.DurableTask.Worker;

/// <summary>
/// Runs one leased entity work item: the entity protocol (<see cref="EntityBatchProcessor"/>, Microsoft's entity
/// runner underneath) decides what runs, and this turns its result into the store commit — the entity row (state and
/// scheduler state), replies and signals as messages, orchestrations it starts as new instances.
/// </summary>
internal sealed class EntityStepRunner
{
    private readonly IDurableTaskFactory _factory;
    private readonly IServiceProvider _services;
    private readonly EntityBatchProcessor _processor;

    public EntityStepRunner(IDurableTaskFactory factory, IServiceProvider services, ILoggerFactory loggerFactory)
    {
        _factory = factory;
        _services = services;
        _processor = new EntityBatchProcessor(loggerFactory.CreateLogger<EntityBatchProcessor>());
    }

    public async Task<EntityStepOutcome> RunAsync(OrchestrationWorkItem item, DateTime now)
    {
        var id = item.InstanceId;
        var name = id.Length > 1 && id.IndexOf('@', 1) is var at and > 0 ? id[1..at] : id;
        ITaskEntity? implementation = _factory is IDurableTaskFactory2 entities && entities.TryCreateEntity(new TaskName(name), _services, out var entity) ? entity : null;
        var request = new EntityStepRequest(
            id,
            item.Instance?.EntityState,
            item.Instance?.EntityScheduler,
            item.Messages.Select(m => new EntityInboundMessage(m.Id, m.Event)).ToList(),
            now);
        var result = await _processor.RunAsync(request, implementation, _services).ConfigureAwait(false);

        var record = (item.Instance ?? new InstanceRecord
        {
            InstanceId = id,
            Name = name,
            ExecutionId = string.Empty,
            IsEntity = true,
            CreatedAt = now,
        }) with
        {
            EntityState = result.EntityState,
            EntityScheduler = result.SchedulerState,
            Status = OrchestrationRuntimeStatus.Running,
            LastUpdatedAt = now,
        };
        var commit = new OrchestrationCommit
        {
            Instance = record,
            Messages = result.Messages.Select(m => new OutgoingMessage(m.InstanceId, m.Event, m.VisibleAt, m.TargetExecutionId)).ToList(),
            NewInstances = result.OrchestrationStarts.Select(s =>
            {
                var start = s.ToExecutionStartedEvent(now);
                return new NewInstance(s.InstanceId, s.Name, s.Input, null, start, s.ScheduledStartTime is { } at && at > now ? at : now);
            }).ToList(),
            ConsumedMessageIds = item.Messages.Select(m => m.Id).ToList(),
            DeleteInstance = result.IsEmpty,
        };
        return new EntityStepOutcome(commit, result.Counts.Operations);
    }
}

internal sealed record EntityStepOutcome(OrchestrationCommit Commit, int OperationCount);
