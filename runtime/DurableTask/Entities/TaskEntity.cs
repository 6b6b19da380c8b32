using System.Collections.Concurrent;
using System.Reflection;

namespace Serverless.DurableTask.Entities;

/// <summary>An entity the worker can run: the untyped contract behind <see cref="TaskEntity{TState}"/>.</summary>
public interface ITaskEntity
{
    /// <summary>Runs one operation and returns its result.</summary>
    ValueTask<object?> RunAsync(TaskEntityOperation operation);
}

/// <summary>
/// Base class for class-based entities. Operations are dispatched by method name (case-insensitive) to public
/// methods of the derived class; a method may take the operation's input and/or a <see cref="TaskEntityContext"/>
/// or <see cref="TaskEntityOperation"/>, and may return a value, a <see cref="Task"/> or a <see cref="ValueTask"/>.
/// An operation named <c>delete</c> with no matching method deletes the entity (sets its state to default).
/// </summary>
/// <typeparam name="TState">The state type.</typeparam>
public abstract class TaskEntity<TState> : ITaskEntity
{
    private static readonly ConcurrentDictionary<(Type, string), MethodInfo?> Methods = new();

    /// <summary>Gets or sets the state. Setting it to null (default) deletes the entity when the operation ends.</summary>
    protected TState State { get; set; } = default!;

    /// <summary>Gets the context of the current operation.</summary>
    protected TaskEntityContext Context { get; private set; } = null!;

    /// <summary>Creates the state of an entity that has none yet. Default is <c>new TState()</c> when there is a parameterless constructor, else default.</summary>
    protected virtual TState InitializeState(TaskEntityOperation operation)
    {
        if (typeof(TState).IsValueType || typeof(TState).GetConstructor(Type.EmptyTypes) is null)
        {
            return default!;
        }

        return Activator.CreateInstance<TState>();
    }

    /// <inheritdoc/>
    public async ValueTask<object?> RunAsync(TaskEntityOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        Context = operation.Context;
        State = operation.State.HasState ? operation.State.GetState<TState>()! : InitializeState(operation);

        var method = Methods.GetOrAdd((GetType(), operation.Name.ToUpperInvariant()), static key =>
            key.Item1.GetMethods(BindingFlags.Public | BindingFlags.Instance)
                .Where(m => m.DeclaringType != typeof(object) && m.DeclaringType != typeof(TaskEntity<TState>))
                .FirstOrDefault(m => string.Equals(m.Name, key.Item2, StringComparison.OrdinalIgnoreCase)));

        object? result;
        if (method is null)
        {
            if (!string.Equals(operation.Name, "delete", StringComparison.OrdinalIgnoreCase))
            {
                throw new NotSupportedException($"Entity '{operation.Context.Id.Name}' has no operation named '{operation.Name}'.");
            }

            operation.State.SetState(null);
            return null;
        }

        result = await InvokeAsync(method, operation).ConfigureAwait(true);
        operation.State.SetState(State);
        return result;
    }

    private async Task<object?> InvokeAsync(MethodInfo method, TaskEntityOperation operation)
    {
        var parameters = method.GetParameters();
        var args = new object?[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            var type = parameters[i].ParameterType;
            if (type == typeof(TaskEntityContext))
            {
                args[i] = operation.Context;
            }
            else if (type == typeof(TaskEntityOperation))
            {
                args[i] = operation;
            }
            else
            {
                args[i] = operation.GetInput(type);
            }
        }

        object? returned;
        try
        {
            returned = method.Invoke(this, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            throw;
        }

        switch (returned)
        {
            case Task task:
                await task.ConfigureAwait(true);
                var resultProperty = task.GetType().GetProperty("Result");
                return resultProperty is not null && task.GetType().IsGenericType && task.GetType().GetGenericArguments()[0].Name != "VoidTaskResult"
                    ? resultProperty.GetValue(task)
                    : null;
            case ValueTask valueTask:
                await valueTask.ConfigureAwait(true);
                return null;
            default:
                if (returned is not null && returned.GetType().IsGenericType && returned.GetType().GetGenericTypeDefinition() == typeof(ValueTask<>))
                {
                    var asTask = (Task)returned.GetType().GetMethod("AsTask")!.Invoke(returned, null)!;
                    await asTask.ConfigureAwait(true);
                    return asTask.GetType().GetProperty("Result")!.GetValue(asTask);
                }

                return returned;
        }
    }
}

/// <summary>One operation delivered to an entity.</summary>
public abstract class TaskEntityOperation
{
    /// <summary>Gets the operation name.</summary>
    public abstract string Name { get; }

    /// <summary>Gets the context of the entity.</summary>
    public abstract TaskEntityContext Context { get; }

    /// <summary>Gets the state of the entity.</summary>
    public abstract TaskEntityState State { get; }

    /// <summary>Gets whether the operation carries an input.</summary>
    public abstract bool HasInput { get; }

    /// <summary>Gets the input as <paramref name="inputType"/>.</summary>
    public abstract object? GetInput(Type inputType);
}

/// <summary>The state of an entity during an operation.</summary>
public abstract class TaskEntityState
{
    /// <summary>Gets whether the entity has state.</summary>
    public abstract bool HasState { get; }

    /// <summary>Gets the state as <typeparamref name="T"/>.</summary>
    public abstract T? GetState<T>();

    /// <summary>Sets the state; null deletes the entity.</summary>
    public abstract void SetState(object? state);
}

/// <summary>What an entity operation can do besides changing state. Its effects are committed with the state, atomically.</summary>
public abstract class TaskEntityContext
{
    /// <summary>Gets the id of the entity.</summary>
    public abstract EntityInstanceId Id { get; }

    /// <summary>Signals another entity (one-way).</summary>
    public abstract void SignalEntity(EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null);

    /// <summary>Starts a new orchestration and returns its instance id.</summary>
    public abstract string ScheduleNewOrchestration(TaskName name, object? input = null, Client.StartOrchestrationOptions? options = null);
}

/// <summary>Options for signalling an entity.</summary>
public sealed record SignalEntityOptions
{
    /// <summary>Gets the time the signal is delivered. Default is now.</summary>
    public DateTimeOffset? SignalTime { get; init; }
}

/// <summary>Entities as seen from an orchestration.</summary>
public abstract class TaskOrchestrationEntityFeature
{
    /// <summary>Calls an entity operation and waits for its result.</summary>
    public abstract Task<TResult> CallEntityAsync<TResult>(EntityInstanceId id, string operationName, object? input = null);

    /// <summary>Calls an entity operation and waits for it to finish.</summary>
    public Task CallEntityAsync(EntityInstanceId id, string operationName, object? input = null) =>
        CallEntityAsync<object>(id, operationName, input);

    /// <summary>Signals an entity operation (one-way). The returned task is already complete.</summary>
    public abstract Task SignalEntityAsync(EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null);
}
