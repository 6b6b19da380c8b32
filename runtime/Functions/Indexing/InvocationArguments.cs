using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Serverless.Functions.Indexing;

/// <summary>Builds the argument list of a non-HTTP invocation from the parameter bindings decided at start-up.</summary>
internal static class InvocationArguments
{
    public static object?[] Bind(FunctionDescriptor function, FunctionContext context, object? triggerValue, TaskActivityContext? activityContext = null)
    {
        var args = new object?[function.Parameters.Count];
        for (var i = 0; i < args.Length; i++)
        {
            var binding = function.Parameters[i];
            args[i] = binding.Kind switch
            {
                ParameterKind.FunctionContext => context,
                ParameterKind.CancellationToken => context.CancellationToken,
                ParameterKind.Logger => UserLogger(function, context.InstanceServices),
                ParameterKind.DurableClient => DurableClient(context.InstanceServices),
                ParameterKind.ActivityContext => activityContext,
                ParameterKind.OrchestrationContext or ParameterKind.ActivityInput or ParameterKind.EntityDispatcher or ParameterKind.TimerInfo => triggerValue,
                _ => throw new InvalidOperationException($"Parameter kind {binding.Kind} cannot be bound outside an HTTP request."),
            };
        }

        return args;
    }

    /// <summary>Gets the logger handed to functions, category <c>Function.{Name}.User</c> as in Azure Functions.</summary>
    public static ILogger UserLogger(FunctionDescriptor function, IServiceProvider services) =>
        services.GetRequiredService<ILoggerFactory>().CreateLogger($"Function.{function.Name}.User");

    /// <summary>Gets the client a <c>[DurableClient]</c> parameter receives: the one registered with <c>AddDurableTaskClient</c>.</summary>
    public static DurableTaskClient DurableClient(IServiceProvider services) =>
        services.GetService<DurableTaskClient>()
        ?? throw new InvalidOperationException("No DurableTaskClient is registered: the host registers one with services.AddDurableTaskClient(b => b.UseSqlite(...)); was it removed?");
}
