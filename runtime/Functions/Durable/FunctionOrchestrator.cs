using Microsoft.Extensions.DependencyInjection;
using Serverless.DurableTask;
using Serverless.Functions.Indexing;

namespace Serverless.Functions.Durable;

/// <summary>Runs an <see cref="OrchestrationTriggerAttribute"/> function as an orchestrator of the durable worker.</summary>
internal sealed class FunctionOrchestrator(FunctionDescriptor function, IServiceProvider services) : ITaskOrchestrator
{
    // Function-based orchestrators read their input with context.GetInput<T>(); the worker's copy stays untyped.
    public Type InputType => typeof(object);

    public Type OutputType => function.Return.ValueType == typeof(void) ? typeof(object) : function.Return.ValueType;

    public async Task<object?> RunAsync(TaskOrchestrationContext context, object? input)
    {
        // Everything here runs on the orchestration's replay thread: plain awaits keep it there, and the scope is
        // disposed synchronously so no non-durable task is awaited.
        using var scope = services.CreateScope();
        var functionContext = new DefaultFunctionContext(function.Definition, context.InstanceId, scope.ServiceProvider, CancellationToken.None);
        var instance = function.CreateInstance(scope.ServiceProvider);
        var args = InvocationArguments.Bind(function, functionContext, context);
        return await function.InvokeAsync(instance, args);
    }
}
