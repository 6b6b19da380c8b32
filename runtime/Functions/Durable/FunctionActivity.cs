using Microsoft.Extensions.DependencyInjection;
using Serverless.DurableTask;
using Serverless.Functions.Indexing;

namespace Serverless.Functions.Durable;

/// <summary>Runs an <see cref="ActivityTriggerAttribute"/> function as an activity of the durable worker.</summary>
internal sealed class FunctionActivity(FunctionDescriptor function, IServiceProvider services) : ITaskActivity
{
    public Type InputType => function.ActivityInputType!;

    public Type OutputType => function.Return.ValueType == typeof(void) ? typeof(object) : function.Return.ValueType;

    public async Task<object?> RunAsync(TaskActivityContext context, object? input)
    {
        await using var scope = services.CreateAsyncScope();
        var executor = scope.ServiceProvider.GetRequiredService<FunctionExecutor>();
        using var cancellation = executor.CreateCancellation(context.CancellationToken);
        var invocationId = context.IdempotencyKey;
        var functionContext = new DefaultFunctionContext(function.Definition, invocationId, scope.ServiceProvider, cancellation.Token);
        var instance = function.CreateInstance(scope.ServiceProvider);
        var args = InvocationArguments.Bind(function, functionContext, input, context);
        return await executor.ExecuteAsync(function, instance, args, invocationId, $"activity of orchestration {context.InstanceId}", cancellation);
    }
}
