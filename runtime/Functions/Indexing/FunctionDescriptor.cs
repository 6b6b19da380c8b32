using System.Globalization;
using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Invocation;
using Serverless.Functions.Timers;

namespace Serverless.Functions.Indexing;

/// <summary>A function found at start-up, with everything needed to invoke it.</summary>
internal sealed record FunctionDescriptor
{
    private ObjectFactory? _factory;

    public required string Name { get; init; }

    public required MethodInfo Method { get; init; }

    public required FunctionTriggerType Trigger { get; init; }

    public required HostFunctionDefinition Definition { get; init; }

    public required IReadOnlyList<ParameterBinding> Parameters { get; init; }

    public required ReturnShape Return { get; init; }

    public HttpTriggerAttribute? Http { get; init; }

    /// <summary>Gets the full route template of an HTTP function, with the route prefix and without a leading slash.</summary>
    public string? RouteTemplate { get; init; }

    /// <summary>Gets the HTTP methods, upper case; empty means every method.</summary>
    public IReadOnlyList<string> HttpMethods { get; init; } = [];

    public TimerTriggerAttribute? Timer { get; init; }

    public CronSchedule? Schedule { get; init; }

    /// <summary>Gets the type of an activity's input.</summary>
    public Type? ActivityInputType { get; init; }

    /// <summary>Creates the instance an instance method runs on (constructor injection), or null for a static method.</summary>
    public object? CreateInstance(IServiceProvider services) =>
        Method.IsStatic ? null : (_factory ??= ActivatorUtilities.CreateFactory(Method.DeclaringType!, Type.EmptyTypes))(services, null);

    /// <summary>Invokes the method and awaits its result. Awaits resume on the caller's context (required inside orchestrators).</summary>
    public Task<object?> InvokeAsync(object? instance, object?[] arguments)
    {
        var returned = Method.Invoke(instance, BindingFlags.DoNotWrapExceptions, binder: null, arguments, CultureInfo.InvariantCulture);
        return Return.UnwrapAsync(returned, Name);
    }
}
