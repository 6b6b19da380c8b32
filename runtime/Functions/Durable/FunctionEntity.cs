using Microsoft.Extensions.DependencyInjection;
using Serverless.DurableTask.Entities;
using Serverless.Functions.Indexing;

namespace Serverless.Functions.Durable;

/// <summary>Runs an <see cref="EntityTriggerAttribute"/> function for each operation of its entity.</summary>
internal sealed class FunctionEntity(FunctionDescriptor function, IServiceProvider services) : ITaskEntity
{
    public async ValueTask<object?> RunAsync(TaskEntityOperation operation)
    {
        await using var scope = services.CreateAsyncScope();
        var executor = scope.ServiceProvider.GetRequiredService<FunctionExecutor>();
        using var cancellation = executor.CreateCancellation(CancellationToken.None);
        var invocationId = Guid.NewGuid().ToString("N");
        var functionContext = new DefaultFunctionContext(function.Definition, invocationId, scope.ServiceProvider, cancellation.Token);
        var dispatcher = new TaskEntityDispatcher(operation, scope.ServiceProvider);
        var instance = function.CreateInstance(scope.ServiceProvider);
        var args = InvocationArguments.Bind(function, functionContext, dispatcher);
        await executor.ExecuteAsync(function, instance, args, invocationId, $"operation '{operation.Name}' on entity {operation.Context.Id}", cancellation);
        if (!dispatcher.Dispatched)
        {
            throw new InvalidOperationException($"Entity function '{function.Name}' returned without calling TaskEntityDispatcher.DispatchAsync, so operation '{operation.Name}' did nothing.");
        }

        return dispatcher.Result;
    }
}
