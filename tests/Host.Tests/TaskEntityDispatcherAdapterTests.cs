using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Durable;

namespace Serverless.Host.Tests;

/// <summary>
/// Pins what <see cref="TaskEntityDispatcherAdapter"/> relies on in Microsoft.Azure.Functions.Worker.Extensions.DurableTask:
/// the internal constructor and Result property of <see cref="TaskEntityDispatcher"/>, and the batch format its
/// DispatchAsync reads and writes. A package upgrade that changes any of it fails here, not in a running entity.
/// </summary>
public sealed class TaskEntityDispatcherAdapterTests
{
    [Fact]
    public void Adapter_InstalledPackage_HasTheInternalConstructorAndResult()
    {
        Assert.Null(TaskEntityDispatcherAdapter.Incompatibility);
    }

    [Fact]
    public async Task Dispatch_OneOperation_StateResultSignalAndStartReachTheOuterOperation()
    {
        await using var services = new ServiceCollection().AddLogging().BuildServiceProvider();
        var operation = new FakeOperation("add", new EntityInstanceId("counter", "k1"), input: 5, state: 10);

        var dispatcher = TaskEntityDispatcherAdapter.Create(TaskEntityDispatcherAdapter.EncodeRequest(operation), services);
        await dispatcher.DispatchAsync(new SignallingCounter());
        var result = TaskEntityDispatcherAdapter.ReadResult(dispatcher);
        Assert.NotEmpty(result);
        var returned = TaskEntityDispatcherAdapter.ApplyResult(result, operation);

        Assert.Equal(15, Assert.IsType<JsonElement>(returned).GetInt32());
        Assert.Equal(15, Assert.IsType<JsonElement>(operation.FakeState.Value).GetInt32());
        var signal = Assert.Single(operation.FakeContext.Signals);
        Assert.Equal((new EntityInstanceId("audit", "k1"), "added"), (signal.Id, signal.Operation));
        Assert.Equal(5, Assert.IsType<JsonElement>(signal.Input).GetInt32());
        var start = Assert.Single(operation.FakeContext.Starts);
        Assert.Equal(("Celebrate", "celebrate-k1"), (start.Name.Name, start.InstanceId));
    }

    [Fact]
    public async Task Dispatch_OperationThrows_FailureComesBackWithTheOriginalMessage()
    {
        await using var services = new ServiceCollection().AddLogging().BuildServiceProvider();
        var operation = new FakeOperation("fail", new EntityInstanceId("counter", "k2"), input: null, state: 1);

        var dispatcher = TaskEntityDispatcherAdapter.Create(TaskEntityDispatcherAdapter.EncodeRequest(operation), services);
        await dispatcher.DispatchAsync(new SignallingCounter());

        var ex = Assert.Throws<EntityFunctionFailedException>(() => TaskEntityDispatcherAdapter.ApplyResult(TaskEntityDispatcherAdapter.ReadResult(dispatcher), operation));
        Assert.Contains("counter says no", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, Assert.IsType<int>(operation.FakeState.Value));
    }

    [Fact]
    public void ReadResult_NeverDispatched_IsEmpty()
    {
        using var services = new ServiceCollection().BuildServiceProvider();
        var operation = new FakeOperation("add", new EntityInstanceId("counter", "k3"), input: 1, state: null);
        var dispatcher = TaskEntityDispatcherAdapter.Create(TaskEntityDispatcherAdapter.EncodeRequest(operation), services);
        Assert.Equal(string.Empty, TaskEntityDispatcherAdapter.ReadResult(dispatcher));
    }

    private sealed class SignallingCounter : TaskEntity<int>
    {
        public int Add(int amount)
        {
            State += amount;
            Context.SignalEntity(new EntityInstanceId("audit", Context.Id.Key), "added", amount);
            Context.ScheduleNewOrchestration("Celebrate", State, new StartOrchestrationOptions("celebrate-" + Context.Id.Key));
            return State;
        }

        public void Fail() => throw new InvalidOperationException("counter says no");
    }

    private sealed class FakeOperation(string name, EntityInstanceId id, object? input, object? state) : TaskEntityOperation
    {
        public FakeContext FakeContext { get; } = new(id);

        public FakeState FakeState { get; } = new(state);

        public override string Name => name;

        public override TaskEntityContext Context => FakeContext;

        public override TaskEntityState State => FakeState;

        public override bool HasInput => input is not null;

        public override object? GetInput(Type inputType) => input is null ? null : JsonSerializer.Deserialize(JsonSerializer.Serialize(input), inputType);
    }

    private sealed class FakeState(object? value) : TaskEntityState
    {
        public object? Value { get; private set; } = value;

        public override bool HasState => Value is not null;

        public override object? GetState(Type type) => Value is null ? null : JsonSerializer.Deserialize(JsonSerializer.Serialize(Value), type);

        public override void SetState(object? state) => Value = state;
    }

    private sealed class FakeContext(EntityInstanceId id) : TaskEntityContext
    {
        public List<(EntityInstanceId Id, string Operation, object? Input)> Signals { get; } = [];

        public List<(TaskName Name, string? InstanceId)> Starts { get; } = [];

        public override EntityInstanceId Id => id;

        public override void SignalEntity(EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null) =>
            Signals.Add((id, operationName, input));

        public override string ScheduleNewOrchestration(TaskName name, object? input = null, StartOrchestrationOptions? options = null)
        {
            Starts.Add((name, options?.InstanceId));
            return options?.InstanceId ?? Guid.NewGuid().ToString("N");
        }
    }
}
