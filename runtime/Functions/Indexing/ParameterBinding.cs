using System.Reflection;

namespace Serverless.Functions.Indexing;

/// <summary>Where the value of a function parameter comes from.</summary>
internal enum ParameterKind
{
    HttpRequest,
    HttpContext,
    ClaimsPrincipal,
    CancellationToken,
    FunctionContext,
    Logger,
    DurableClient,
    RouteValue,
    QueryValue,
    Body,
    OrchestrationContext,
    ActivityInput,
    ActivityContext,
    EntityDispatcher,
    TimerInfo,
}

/// <summary>How one parameter of a function is bound, decided at start-up.</summary>
internal sealed record ParameterBinding(ParameterInfo Parameter, ParameterKind Kind, bool IsOptional = false)
{
    public string Name => Parameter.Name ?? $"arg{Parameter.Position}";

    public Type Type => Parameter.ParameterType;

    /// <summary>Gets the value used when an optional parameter has no value in the request.</summary>
    public object? DefaultValue =>
        Parameter.HasDefaultValue && Parameter.DefaultValue is not DBNull ? Parameter.DefaultValue
        : Type.IsValueType && Nullable.GetUnderlyingType(Type) is null ? Activator.CreateInstance(Type)
        : null;
}
