using Microsoft.DurableTask;
using Serverless.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Functions.Indexing;
using Serverless.Functions.Invocation;

namespace Serverless.Functions.Durable;

/// <summary>Runs an <c>[OrchestrationTrigger]</c> function as an <see cref="ITaskOrchestrator"/> of Microsoft's worker.</summary>
internal sealed class FunctionOrchestrator(FunctionDescriptor function, IServiceProvider services) : ITaskOrchestrator
{
    // Function-based orchestrators read their input with context.GetInput<T>(): the runner's copy stays untyped and
    // FunctionOrchestrationContext converts it to the type asked for.
    public Type InputType => typeof(object);

    public Type OutputType => function.Return.ValueType == typeof(void) ? typeof(object) : function.Return.ValueType;

    public async Task<object?> RunAsync(TaskOrchestrationContext context, object? input)
    {
        // Everything here runs on the orchestration's replay thread: plain awaits keep it there, and the scope is
        // disposed synchronously so no non-durable task is awaited.
        using var scope = services.CreateScope();
        var functionContext = new HostFunctionContext(function.Definition, context.InstanceId, scope.ServiceProvider, CancellationToken.None);
        var instance = function.CreateInstance(scope.ServiceProvider);
        var converter = services.GetRequiredService<IOptionsMonitor<StoreDurableTaskWorkerOptions>>().Get(Options.DefaultName).DataConverter;
        var functionOrchestration = new FunctionOrchestrationContext(context, converter, services.GetRequiredService<ILoggerFactory>());
        var args = InvocationArguments.Bind(function, functionContext, functionOrchestration);
        return await function.InvokeAsync(instance, args);
    }
}
