using System.Reflection;

namespace Serverless.Functions.Indexing;

/// <summary>How to get the value out of what a function method returns (void, a value, a task or a value task).</summary>
internal sealed class ReturnShape
{
    private readonly Kind _kind;
    private readonly PropertyInfo? _result;
    private readonly MethodInfo? _asTask;

    private ReturnShape(Kind kind, Type valueType, PropertyInfo? result = null, MethodInfo? asTask = null)
    {
        _kind = kind;
        ValueType = valueType;
        _result = result;
        _asTask = asTask;
    }

    private enum Kind
    {
        Void,
        Value,
        Task,
        TaskOfT,
        ValueTask,
        ValueTaskOfT,
    }

    /// <summary>Gets the type of the value the function produces; <see cref="void"/> when none.</summary>
    public Type ValueType { get; }

    /// <summary>Gets whether the function produces no value (void, Task or ValueTask).</summary>
    public bool IsVoid => ValueType == typeof(void);

    public static ReturnShape For(Type returnType)
    {
        if (returnType == typeof(void))
        {
            return new(Kind.Void, typeof(void));
        }

        if (returnType == typeof(Task))
        {
            return new(Kind.Task, typeof(void));
        }

        if (returnType == typeof(ValueTask))
        {
            return new(Kind.ValueTask, typeof(void));
        }

        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>))
        {
            return new(Kind.TaskOfT, returnType.GetGenericArguments()[0], returnType.GetProperty(nameof(Task<int>.Result)));
        }

        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            var taskType = typeof(Task<>).MakeGenericType(returnType.GetGenericArguments()[0]);
            return new(Kind.ValueTaskOfT, returnType.GetGenericArguments()[0], taskType.GetProperty(nameof(Task<int>.Result)), returnType.GetMethod(nameof(ValueTask<int>.AsTask)));
        }

        return new(Kind.Value, returnType);
    }

    /// <summary>Awaits what the method returned, if it is awaitable, and returns the produced value. Continuations stay on the caller's context.</summary>
    public async Task<object?> UnwrapAsync(object? returned, string functionName)
    {
        switch (_kind)
        {
            case Kind.Void:
                return null;
            case Kind.Value:
                return returned;
            case Kind.Task:
                await NotNull<Task>(returned, functionName);
                return null;
            case Kind.ValueTask:
                await (ValueTask)returned!;
                return null;
            case Kind.TaskOfT:
                {
                    var task = NotNull<Task>(returned, functionName);
                    await task;
                    return _result!.GetValue(task);
                }

            default:
                {
                    var task = (Task)_asTask!.Invoke(returned, null)!;
                    await task;
                    return _result!.GetValue(task);
                }
        }
    }

    private static T NotNull<T>(object? value, string functionName)
        where T : class =>
        value as T ?? throw new InvalidOperationException($"Function '{functionName}' returned a null {typeof(T).Name}.");
}
