namespace Serverless.Functions;

/// <summary>The context of one function invocation. Add a parameter of this type to any function to receive it.</summary>
public abstract class FunctionContext
{
    /// <summary>Gets the id of this invocation.</summary>
    public abstract string InvocationId { get; }

    /// <summary>Gets the function being invoked.</summary>
    public abstract FunctionDefinition FunctionDefinition { get; }

    /// <summary>Gets the services of this invocation's scope.</summary>
    public abstract IServiceProvider InstanceServices { get; }

    /// <summary>Gets a token that is cancelled when the caller goes away, the host stops or the function timeout passes.</summary>
    public abstract CancellationToken CancellationToken { get; }

    /// <summary>Gets a bag of values that lives as long as the invocation.</summary>
    public abstract IDictionary<object, object> Items { get; }
}

/// <summary>The host's implementation of <see cref="FunctionContext"/>.</summary>
internal sealed class DefaultFunctionContext(FunctionDefinition definition, string invocationId, IServiceProvider services, CancellationToken cancellationToken) : FunctionContext
{
    private Dictionary<object, object>? _items;

    public override string InvocationId => invocationId;

    public override FunctionDefinition FunctionDefinition => definition;

    public override IServiceProvider InstanceServices => services;

    public override CancellationToken CancellationToken => cancellationToken;

    public override IDictionary<object, object> Items => _items ??= [];

    public Microsoft.AspNetCore.Http.HttpContext? HttpContext { get; init; }
}
