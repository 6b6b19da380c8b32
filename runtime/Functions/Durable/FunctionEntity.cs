using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Indexing;
using Serverless.Functions.Invocation;

namespace Serverless.Functions.Durable;

/// <summary>
/// Runs an <c>[EntityTrigger]</c> function for each operation of its entity, as an <see cref="ITaskEntity"/> of
/// Microsoft's worker: the function receives Microsoft's <c>TaskEntityDispatcher</c> (made by
/// <see cref="TaskEntityDispatcherAdapter"/>) and calls <c>DispatchAsync</c>. Class-based entities registered with
/// <c>AddTasks</c> or <c>[DurableTask]</c> do not come through here.
/// </summary>
internal sealed class FunctionEntity(FunctionDescriptor function, IServiceProvider services) : ITaskEntity
{
    public async ValueTask<object?> RunAsync(TaskEntityOperation operation)
    {
        await using var scope = services.CreateAsyncScope();
        var executor = scope.ServiceProvider.GetRequiredService<FunctionExecutor>();
        using var cancellation = executor.CreateCancellation(CancellationToken.None);
        var invocationId = Guid.NewGuid().ToString();
        var functionContext = new HostFunctionContext(function.Definition, invocationId, scope.ServiceProvider, cancellation.Token);
        var dispatcher = TaskEntityDispatcherAdapter.Create(TaskEntityDispatcherAdapter.EncodeRequest(operation), scope.ServiceProvider);
        var instance = function.CreateInstance(scope.ServiceProvider);
        var args = InvocationArguments.Bind(function, functionContext, dispatcher);
        await executor.ExecuteAsync(function, instance, args, invocationId, $"operation '{operation.Name}' on entity {operation.Context.Id}", cancellation);
        var result = TaskEntityDispatcherAdapter.ReadResult(dispatcher);
        if (result.Length == 0)
        {
            throw new InvalidOperationException($"Entity function '{function.Name}' returned without calling TaskEntityDispatcher.DispatchAsync, so operation '{operation.Name}' did nothing.");
        }

        return TaskEntityDispatcherAdapter.ApplyResult(result, operation);
    }
}
