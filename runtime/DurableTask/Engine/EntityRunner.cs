using Serverless.DurableTask.Client;
using Serverless.DurableTask.Entities;

namespace Serverless.DurableTask.Engine;

/// <summary>Runs a batch of operations against one entity, one at a time, and collects what they send.</summary>
internal sealed class EntityRunner
{
    private readonly DataConverter _converter;

    public EntityRunner(DataConverter converter)
    {
        _converter = converter;
    }

    public sealed record Result(string? State, List<OutgoingMessage> Messages, List<NewInstance> NewInstances);

    public async Task<Result> RunAsync(EntityInstanceId id, string? state, IEnumerable<EntityRequestEvent> requests, Func<ITaskEntity?> factory, DateTime now)
    {
        var messages = new List<OutgoingMessage>();
        var instances = new List<NewInstance>();
        foreach (var request in requests)
        {
            var context = new Context(id, _converter, now);
            var stateHolder = new State(state, _converter);
            var operation = new Operation(request.Operation, request.Input, context, stateHolder, _converter);
            HistoryEvent? reply;
            try
            {
                var entity = factory() ?? throw new TaskNotRegisteredException("entity", id.Name);
                var result = await entity.RunAsync(operation).ConfigureAwait(false);
                state = stateHolder.Serialized;
                messages.AddRange(context.Messages);
                instances.AddRange(context.Instances);
                reply = new EntityOperationCompletedEvent(request.RequestId, _converter.Serialize(result)) { Timestamp = now };
            }
            catch (Exception ex)
            {
                reply = new EntityOperationFailedEvent(request.RequestId, TaskFailureDetails.FromException(ex)) { Timestamp = now };
            }

            if (request.ReplyToInstanceId is { } replyTo)
            {
                messages.Add(new OutgoingMessage(replyTo, reply, now));
            }
        }

        return new Result(state, messages, instances);
    }

    private sealed class State(string? serialized, DataConverter converter) : TaskEntityState
    {
        private object? _value;
        private bool _set;

        public string? Serialized => _set ? converter.Serialize(_value) : serialized;

        public override bool HasState => _set ? _value is not null : serialized is not null;

        public override T? GetState<T>()
            where T : default => _set ? (T?)_value : converter.Deserialize<T>(serialized);

        public override void SetState(object? state)
        {
            _value = state;
            _set = true;
        }
    }

    private sealed class Operation(string name, string? input, TaskEntityContext context, TaskEntityState state, DataConverter converter) : TaskEntityOperation
    {
        public override string Name => name;

        public override TaskEntityContext Context => context;

        public override TaskEntityState State => state;

        public override bool HasInput => input is not null;

        public override object? GetInput(Type inputType) => converter.Deserialize(input, inputType);
    }

    private sealed class Context(EntityInstanceId id, DataConverter converter, DateTime now) : TaskEntityContext
    {
        public List<OutgoingMessage> Messages { get; } = [];

        public List<NewInstance> Instances { get; } = [];

        public override EntityInstanceId Id => id;

        public override void SignalEntity(EntityInstanceId target, string operationName, object? input = null, SignalEntityOptions? options = null)
        {
            ArgumentException.ThrowIfNullOrEmpty(operationName);
            var visible = options?.SignalTime?.UtcDateTime ?? now;
            Messages.Add(new OutgoingMessage(target.ToString(), new EntityRequestEvent(Guid.NewGuid().ToString("N"), operationName, converter.Serialize(input), null) { Timestamp = now }, visible));
        }

        public override string ScheduleNewOrchestration(TaskName name, object? input = null, StartOrchestrationOptions? options = null)
        {
            var instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
            var serialized = converter.Serialize(input);
            var start = new ExecutionStartedEvent(name.Name, serialized, Guid.NewGuid().ToString("N")) { Timestamp = now };
            Instances.Add(new NewInstance(instanceId, name.Name, serialized, null, start, options?.StartAt?.UtcDateTime ?? now));
            return instanceId;
        }
    }
}
