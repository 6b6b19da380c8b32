using System.Collections;
using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Serverless.Functions.Invocation;

/// <summary>
/// This host's <see cref="FunctionContext"/>: what an invocation of a discovered function knows about itself. Microsoft's
/// extension methods work on it (<c>GetLogger</c>, <c>GetHttpContext</c>: the HTTP context is stored under the item key
/// Microsoft's ASP.NET Core integration reads). Function-level retry policies do not exist in this host, so
/// <see cref="RetryContext"/> is null, as it is in Azure Functions for a function without one.
/// </summary>
internal sealed class HostFunctionContext : FunctionContext
{
    /// <summary>The <see cref="Items"/> key of the <see cref="Microsoft.AspNetCore.Http.HttpContext"/> (Microsoft's <c>FunctionContextExtensions.GetHttpContext</c> reads it).</summary>
    internal const string HttpContextKey = "HttpRequestContext";

    private readonly CancellationToken _cancellationToken;
    private IDictionary<object, object>? _items;
    private IServiceProvider _services;

    public HostFunctionContext(HostFunctionDefinition definition, string invocationId, IServiceProvider services, CancellationToken cancellationToken, HttpContext? httpContext = null)
    {
        FunctionDefinition = definition;
        InvocationId = invocationId;
        _services = services;
        _cancellationToken = cancellationToken;
        BindingContext = new HostBindingContext(httpContext);
        if (httpContext is not null)
        {
            Items[HttpContextKey] = httpContext;
        }
    }

    public override string InvocationId { get; }

    public override string FunctionId => FunctionDefinition.Id;

    public override TraceContext TraceContext { get; } = new HostTraceContext(Activity.Current);

    public override BindingContext BindingContext { get; }

    /// <summary>Gets null: this host has no function-level retry policies (Azure Functions also gives null without one).</summary>
    public override RetryContext RetryContext => null!;

    public override IServiceProvider InstanceServices
    {
        get => _services;
        set => _services = value ?? throw new ArgumentNullException(nameof(value));
    }

    public override FunctionDefinition FunctionDefinition { get; }

    public override IDictionary<object, object> Items
    {
        get => _items ??= new Dictionary<object, object>();
        set => _items = value ?? throw new ArgumentNullException(nameof(value));
    }

    public override IInvocationFeatures Features { get; } = new HostInvocationFeatures();

    public override CancellationToken CancellationToken => _cancellationToken;
}

/// <summary>A discovered function, as Microsoft's <see cref="FunctionDefinition"/> describes one.</summary>
internal sealed class HostFunctionDefinition : FunctionDefinition
{
    public HostFunctionDefinition(string name, string entryPoint, FunctionTriggerType trigger, string pathToAssembly, ImmutableArray<FunctionParameter> parameters, string triggerParameterName)
    {
        Name = name;
        EntryPoint = entryPoint;
        Trigger = trigger;
        PathToAssembly = pathToAssembly;
        Parameters = parameters;
        // The id is stable for a function in an app (Azure Functions uses a hash of the same kind): the name, lower case.
        Id = name.ToLowerInvariant();
        InputBindings = ImmutableDictionary<string, BindingMetadata>.Empty.Add(triggerParameterName, new HostBindingMetadata(triggerParameterName, BindingType(trigger)));
        OutputBindings = ImmutableDictionary<string, BindingMetadata>.Empty;
    }

    public override ImmutableArray<FunctionParameter> Parameters { get; }

    public override string PathToAssembly { get; }

    public override string EntryPoint { get; }

    public override string Id { get; }

    public override string Name { get; }

    /// <summary>Gets the kind of trigger (this host's addition).</summary>
    public FunctionTriggerType Trigger { get; }

    public override IImmutableDictionary<string, BindingMetadata> InputBindings { get; }

    public override IImmutableDictionary<string, BindingMetadata> OutputBindings { get; }

    public override string ToString() => $"{Name} ({EntryPoint})";

    /// <summary>The binding type names of function.json, as Azure Functions reports them.</summary>
    internal static string BindingType(FunctionTriggerType trigger) => trigger switch
    {
        FunctionTriggerType.Http => "httpTrigger",
        FunctionTriggerType.Orchestration => "orchestrationTrigger",
        FunctionTriggerType.Activity => "activityTrigger",
        FunctionTriggerType.Entity => "entityTrigger",
        _ => "timerTrigger",
    };
}

internal sealed class HostBindingMetadata(string name, string type) : BindingMetadata
{
    public override string Name => name;

    public override string Type => type;

    public override BindingDirection Direction => BindingDirection.In;
}

/// <summary>The W3C trace context of the invocation: the current <see cref="Activity"/> (ASP.NET Core's request activity for HTTP), empty when there is none.</summary>
internal sealed class HostTraceContext(Activity? activity) : TraceContext
{
    public override string TraceParent { get; } = activity?.Id ?? string.Empty;

    public override string TraceState { get; } = activity?.TraceStateString ?? string.Empty;
}

/// <summary>The trigger's binding data: for HTTP, the route values and then the query values (first value of each); empty for other triggers.</summary>
internal sealed class HostBindingContext : BindingContext
{
    public HostBindingContext(HttpContext? http)
    {
        var data = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        if (http is not null)
        {
            foreach (var (key, value) in http.Request.Query)
            {
                data[key] = value.FirstOrDefault();
            }

            foreach (var (key, value) in http.Request.RouteValues)
            {
                data[key] = value;
            }
        }

        BindingData = data;
    }

    public override IReadOnlyDictionary<string, object?> BindingData { get; }
}

/// <summary>A plain feature collection; the host sets no features of its own.</summary>
internal sealed class HostInvocationFeatures : IInvocationFeatures
{
    private readonly Dictionary<Type, object> _features = [];

    public void Set<T>(T instance)
    {
        if (instance is null)
        {
            _features.Remove(typeof(T));
        }
        else
        {
            _features[typeof(T)] = instance;
        }
    }

    public T? Get<T>() => _features.TryGetValue(typeof(T), out var value) ? (T)value : default;

    public IEnumerator<KeyValuePair<Type, object>> GetEnumerator() => _features.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
