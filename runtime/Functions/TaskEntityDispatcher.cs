using Microsoft.Extensions.DependencyInjection;
using Serverless.DurableTask.Entities;

namespace Serverless.Functions;

/// <summary>
/// Hands one entity operation to an entity implementation. An <see cref="EntityTriggerAttribute"/> function receives
/// it and calls one of the <c>DispatchAsync</c> methods exactly once.
/// </summary>
public sealed class TaskEntityDispatcher
{
    private readonly TaskEntityOperation _operation;
    private readonly IServiceProvider _services;

    internal TaskEntityDispatcher(TaskEntityOperation operation, IServiceProvider services)
    {
        _operation = operation;
        _services = services;
    }

    /// <summary>Gets the name of the operation being dispatched.</summary>
    public string OperationName => _operation.Name;

    /// <summary>Gets the id of the entity.</summary>
    public EntityInstanceId EntityId => _operation.Context.Id;

    internal bool Dispatched { get; private set; }

    internal object? Result { get; private set; }

    /// <summary>Creates <typeparamref name="T"/> with constructor injection and runs the operation on it.</summary>
    public Task DispatchAsync<T>()
        where T : ITaskEntity =>
        DispatchAsync(ActivatorUtilities.CreateInstance<T>(_services));

    /// <summary>Runs the operation on <paramref name="entity"/>.</summary>
    public async Task DispatchAsync(ITaskEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        MarkDispatched();
        Result = await entity.RunAsync(_operation).ConfigureAwait(false);
    }

    /// <summary>Runs the operation with a handler that reads and writes <see cref="TaskEntityOperation.State"/> itself.</summary>
    public async Task DispatchAsync(Func<TaskEntityOperation, ValueTask<object?>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        MarkDispatched();
        Result = await handler(_operation).ConfigureAwait(false);
    }

    private void MarkDispatched()
    {
        if (Dispatched)
        {
            throw new InvalidOperationException($"The operation '{_operation.Name}' of entity '{_operation.Context.Id}' was already dispatched; call DispatchAsync once per invocation.");
        }

        Dispatched = true;
    }
}
