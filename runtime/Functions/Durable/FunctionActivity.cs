using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serverless.DurableTask.Worker;
using Serverless.Functions.Indexing;
using Serverless.Functions.Invocation;

namespace Serverless.Functions.Durable;

/// <summary>
/// Runs an <c>[ActivityTrigger]</c> function as an <see cref="ITaskActivity"/> of Microsoft's worker. Microsoft's
/// <see cref="TaskActivityContext"/> carries no cancellation token: the invocation is cancelled when the host's
/// shutdown grace period is over (<see cref="StoreTaskActivityContext.CancellationToken"/>) or the function timeout
/// passes.
/// </summary>
internal sealed class FunctionActivity(FunctionDescriptor function, IServiceProvider services) : ITaskActivity
{
    public Type InputType => function.ActivityInputType!;

    public Type OutputType => function.Return.ValueType == typeof(void) ? typeof(object) : function.Return.ValueType;

    public async Task<object?> RunAsync(TaskActivityContext context, object? input)
    {
        await using var scope = services.CreateAsyncScope();
        var executor = scope.ServiceProvider.GetRequiredService<FunctionExecutor>();
        // Our worker's context carries the token that fires once the host's shutdown grace period is over; an
        // activity run by another worker is cancelled as soon as the host starts stopping.
        var stopping = context is StoreTaskActivityContext store
            ? store.CancellationToken
            : scope.ServiceProvider.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        using var cancellation = executor.CreateCancellation(stopping);
        var invocationId = Guid.NewGuid().ToString();
        var functionContext = new HostFunctionContext(function.Definition, invocationId, scope.ServiceProvider, cancellation.Token);
        var instance = function.CreateInstance(scope.ServiceProvider);
        var args = InvocationArguments.Bind(function, functionContext, input, context);
        return await executor.ExecuteAsync(function, instance, args, invocationId, $"activity of orchestration {context.InstanceId}", cancellation);
    }
}
