using System.Reflection;
using System.Security.Claims;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Serverless.Functions.Invocation;
using Serverless.Functions.Timers;

namespace Serverless.Functions.Indexing;

/// <summary>
/// Finds <see cref="FunctionAttribute"/> methods and <see cref="DurableTaskAttribute"/> classes by reflection and
/// decides, once, how each parameter is bound. Every problem is collected with the function's name and the reason,
/// so the host can refuse to start with the whole list.
/// </summary>
internal sealed partial class FunctionIndexer
{
    private static readonly string[] ReservedRoutePrefixes = ["runtime/", "admin/"];
    private static readonly string[] ReservedRoutes = ["runtime", "admin", "healthz", "readyz"];

    private readonly IConfiguration _configuration;
    private readonly string _routePrefix;
    private readonly string _hubName;
    private readonly NullabilityInfoContext _nullability = new();
    private readonly List<FunctionDescriptor> _functions = [];
    private readonly List<ClassTask> _classTasks = [];
    private readonly List<FunctionIndexingError> _errors = [];

    public FunctionIndexer(IConfiguration configuration, string routePrefix, string hubName)
    {
        _configuration = configuration;
        _routePrefix = routePrefix.Trim('/');
        _hubName = hubName;
    }

    public IReadOnlyList<FunctionIndexingError> Errors => _errors;

    /// <summary>Indexes the types; call <see cref="Errors"/> afterwards.</summary>
    public FunctionCatalog Index(IEnumerable<Type> types)
    {
        foreach (var type in types.Distinct().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            if (type.GetCustomAttribute<DurableTaskAttribute>() is { } taskAttribute)
            {
                IndexClassTask(type, taskAttribute);
            }

            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
            foreach (var method in type.GetMethods(all).OrderBy(m => m.MetadataToken))
            {
                if (method.GetCustomAttribute<FunctionAttribute>() is { } attribute)
                {
                    IndexMethod(type, method, attribute);
                }
            }
        }

        CheckDuplicateNames();
        CheckRouteConflicts();
        return new FunctionCatalog(_functions, _classTasks);
    }

    private static string EntryPoint(MethodInfo method) => $"{method.DeclaringType!.FullName}.{method.Name}";

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^%([^%]+)%$", RegexOptions.CultureInvariant)]
    private static partial Regex SettingReference();

    private void IndexMethod(Type type, MethodInfo method, FunctionAttribute attribute)
    {
        var entryPoint = EntryPoint(method);
        var name = attribute.Name;
        var reasons = new List<string>();
        if (string.IsNullOrEmpty(name) || !NamePattern().IsMatch(name))
        {
            _errors.Add(new(string.IsNullOrEmpty(name) ? method.Name : name, entryPoint, "the name must start with a letter and have at most 128 letters, digits, '_' or '-'."));
            return;
        }

        if (!method.IsPublic)
        {
            reasons.Add("the method must be public.");
        }

        if (!type.IsVisible)
        {
            reasons.Add($"class {type.Name} must be public (and every class it is nested in).");
        }

        if (method.IsGenericMethodDefinition || type.ContainsGenericParameters)
        {
            reasons.Add("generic methods and methods of generic classes cannot be functions.");
        }

        if (!method.IsStatic && type.IsAbstract)
        {
            reasons.Add($"it is an instance method of the abstract or static class {type.Name}; make the method static or the class concrete.");
        }
        else if (!method.IsStatic && type.GetConstructors().Length == 0)
        {
            reasons.Add($"class {type.Name} has no public constructor, so it cannot be created for an instance method.");
        }

        var parameters = method.GetParameters();
        foreach (var p in parameters.Where(p => p.ParameterType.IsByRef || p.IsOut))
        {
            reasons.Add($"parameter '{p.Name}' is ref, out or in; functions take their inputs by value.");
        }

        var triggers = parameters.Select(p => (Parameter: p, Kind: TriggerOf(p))).Where(x => x.Kind is not null).ToList();
        if (triggers.Count == 0)
        {
            reasons.Add("it has no trigger parameter; mark one parameter with [HttpTrigger], [OrchestrationTrigger], [ActivityTrigger], [EntityTrigger] or [TimerTrigger].");
        }
        else if (triggers.Count > 1)
        {
            reasons.Add($"it has {triggers.Count} trigger parameters ({string.Join(", ", triggers.Select(t => t.Parameter.Name))}); a function has exactly one.");
        }

        if (reasons.Count > 0)
        {
            AddErrors(name, entryPoint, reasons);
            return;
        }

        var (triggerParameter, trigger) = (triggers[0].Parameter, triggers[0].Kind!.Value);
        var definition = new HostFunctionDefinition(name, entryPoint, trigger, type.Assembly.Location, [.. parameters.Select(p => new FunctionParameter(p.Name ?? $"arg{p.Position}", p.ParameterType))], triggerParameter.Name ?? $"arg{triggerParameter.Position}");
        var descriptor = trigger switch
        {
            FunctionTriggerType.Http => IndexHttp(name, method, definition, triggerParameter, reasons),
            FunctionTriggerType.Orchestration => IndexOrchestration(name, method, definition, triggerParameter, reasons),
            FunctionTriggerType.Activity => IndexActivity(name, method, definition, triggerParameter, reasons),
            FunctionTriggerType.Entity => IndexEntity(name, method, definition, triggerParameter, reasons),
            _ => IndexTimer(name, method, definition, triggerParameter, reasons),
        };

        if (reasons.Count > 0 || descriptor is null)
        {
            AddErrors(name, entryPoint, reasons);
            return;
        }

        _functions.Add(descriptor);
    }

    private void AddErrors(string name, string entryPoint, List<string> reasons)
    {
        foreach (var reason in reasons)
        {
            _errors.Add(new(name, entryPoint, reason));
        }
    }

    private static FunctionTriggerType? TriggerOf(ParameterInfo p) =>
        p.IsDefined(typeof(HttpTriggerAttribute)) ? FunctionTriggerType.Http
        : p.IsDefined(typeof(OrchestrationTriggerAttribute)) ? FunctionTriggerType.Orchestration
        : p.IsDefined(typeof(ActivityTriggerAttribute)) ? FunctionTriggerType.Activity
        : p.IsDefined(typeof(EntityTriggerAttribute)) ? FunctionTriggerType.Entity
        : p.IsDefined(typeof(TimerTriggerAttribute)) ? FunctionTriggerType.Timer
        : null;

    private FunctionDescriptor? IndexHttp(string name, MethodInfo method, HostFunctionDefinition definition, ParameterInfo trigger, List<string> reasons)
    {
        var attribute = trigger.GetCustomAttribute<HttpTriggerAttribute>()!;
        if (trigger.ParameterType != typeof(HttpRequest))
        {
            reasons.Add($"[HttpTrigger] must be on a parameter of type Microsoft.AspNetCore.Http.HttpRequest; '{trigger.Name}' is {Format(trigger.ParameterType)}, which is not supported.");
        }

        var methods = new List<string>();
        foreach (var m in attribute.Methods ?? [])
        {
            if (string.IsNullOrWhiteSpace(m) || !m.All(char.IsAsciiLetter))
            {
                reasons.Add($"'{m}' is not an HTTP method.");
            }
            else if (!methods.Contains(m.ToUpperInvariant()))
            {
                methods.Add(m.ToUpperInvariant());
            }
        }

        var route = (attribute.Route ?? name).Trim('/');
        var template = _routePrefix.Length == 0 ? route : route.Length == 0 ? _routePrefix : $"{_routePrefix}/{route}";
        RoutePattern? pattern = null;
        try
        {
            pattern = RoutePatternFactory.Parse(template);
        }
        catch (RoutePatternException ex)
        {
            reasons.Add($"the route '{attribute.Route ?? name}' is malformed: {ex.Message}");
        }

        if (ReservedRoutes.Contains(template, StringComparer.OrdinalIgnoreCase) || ReservedRoutePrefixes.Any(p => template.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
        {
            reasons.Add($"the route '/{template}' is reserved for the host (runtime/, admin/, healthz, readyz).");
        }

        var routeParameters = pattern?.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        var bindings = new List<ParameterBinding>();
        ParameterBinding? body = null;
        foreach (var p in method.GetParameters())
        {
            if (p.Position == trigger.Position)
            {
                bindings.Add(new(p, ParameterKind.HttpRequest));
                continue;
            }

            var type = p.ParameterType;
            if (Common(p, reasons, FunctionTriggerType.Http) is { } common)
            {
                bindings.Add(common);
            }
            else if (type == typeof(HttpContext))
            {
                bindings.Add(new(p, ParameterKind.HttpContext));
            }
            else if (type == typeof(ClaimsPrincipal))
            {
                bindings.Add(new(p, ParameterKind.ClaimsPrincipal));
            }
            else if (p.Name is { } pName && routeParameters.Contains(pName) && !IsFromBody(p))
            {
                if (!IsSimple(type))
                {
                    reasons.Add($"parameter '{p.Name}' takes the route value {{{p.Name}}}, so it must be a string, number, bool, Guid, date or enum, not {Format(type)}.");
                }

                bindings.Add(new(p, ParameterKind.RouteValue, IsOptional(p)));
            }
            else if (IsSimple(type) && !IsFromBody(p))
            {
                bindings.Add(new(p, ParameterKind.QueryValue, IsOptional(p)));
            }
            else if (IsSpecial(type) || p.IsDefined(typeof(DurableClientAttribute)))
            {
                reasons.Add(Unsupported(p, FunctionTriggerType.Http));
            }
            else if ((type.IsAbstract || type.IsInterface) && !typeof(JsonNode).IsAssignableFrom(type))
            {
                reasons.Add($"parameter '{p.Name}' of type {Format(type)} is not supported: a request body binds to a concrete JSON-serializable type (an abstract class or interface cannot be created).");
            }
            else if (body is not null)
            {
                reasons.Add($"parameters '{body.Name}' and '{p.Name}' would both bind the request body; only one parameter can.");
            }
            else
            {
                body = new(p, ParameterKind.Body, IsOptional(p));
                bindings.Add(body);
            }
        }

        if (body is not null && methods.Count > 0 && methods.All(m => m is "GET" or "HEAD"))
        {
            reasons.Add($"parameter '{body.Name}' binds the JSON request body, but the function accepts only {string.Join("/", methods)} requests, which carry no body.");
        }

        return reasons.Count > 0 ? null : new FunctionDescriptor
        {
            Name = name,
            Method = method,
            Trigger = FunctionTriggerType.Http,
            Definition = definition,
            Parameters = bindings,
            Return = ReturnShape.For(method.ReturnType),
            Http = attribute,
            RouteTemplate = template,
            HttpMethods = methods,
        };
    }

    private FunctionDescriptor? IndexOrchestration(string name, MethodInfo method, HostFunctionDefinition definition, ParameterInfo trigger, List<string> reasons)
    {
        if (trigger.ParameterType != typeof(TaskOrchestrationContext))
        {
            reasons.Add($"[OrchestrationTrigger] must be on a parameter of type TaskOrchestrationContext; '{trigger.Name}' is {Format(trigger.ParameterType)}, which is not supported.");
        }

        var bindings = BindOthers(method, trigger, ParameterKind.OrchestrationContext, FunctionTriggerType.Orchestration, reasons);
        return Descriptor(name, method, definition, FunctionTriggerType.Orchestration, bindings, reasons);
    }

    private FunctionDescriptor? IndexActivity(string name, MethodInfo method, HostFunctionDefinition definition, ParameterInfo trigger, List<string> reasons)
    {
        if (IsSpecial(trigger.ParameterType) || trigger.ParameterType.IsAbstract && !typeof(JsonNode).IsAssignableFrom(trigger.ParameterType) || trigger.ParameterType.IsInterface)
        {
            reasons.Add($"[ActivityTrigger] parameter '{trigger.Name}' of type {Format(trigger.ParameterType)} is not supported: it receives the activity input, which must be a concrete JSON-serializable type.");
        }

        var bindings = BindOthers(method, trigger, ParameterKind.ActivityInput, FunctionTriggerType.Activity, reasons);
        return Descriptor(name, method, definition, FunctionTriggerType.Activity, bindings, reasons) is { } descriptor
            ? descriptor with { ActivityInputType = trigger.ParameterType }
            : null;
    }

    private FunctionDescriptor? IndexEntity(string name, MethodInfo method, HostFunctionDefinition definition, ParameterInfo trigger, List<string> reasons)
    {
        if (trigger.ParameterType != typeof(TaskEntityDispatcher))
        {
            reasons.Add($"[EntityTrigger] must be on a parameter of type TaskEntityDispatcher; '{trigger.Name}' is {Format(trigger.ParameterType)}, which is not supported.");
        }

        if (!ReturnShape.For(method.ReturnType).IsVoid)
        {
            reasons.Add($"an entity function returns Task, ValueTask or void (the operation's result is what the entity method returns), not {Format(method.ReturnType)}.");
        }

        var bindings = BindOthers(method, trigger, ParameterKind.EntityDispatcher, FunctionTriggerType.Entity, reasons);
        return Descriptor(name, method, definition, FunctionTriggerType.Entity, bindings, reasons);
    }

    private FunctionDescriptor? IndexTimer(string name, MethodInfo method, HostFunctionDefinition definition, ParameterInfo trigger, List<string> reasons)
    {
        var attribute = trigger.GetCustomAttribute<TimerTriggerAttribute>()!;
        if (trigger.ParameterType != typeof(TimerInfo))
        {
            reasons.Add($"[TimerTrigger] must be on a parameter of type TimerInfo; '{trigger.Name}' is {Format(trigger.ParameterType)}, which is not supported.");
        }

        CronSchedule? schedule = null;
        var expression = attribute.Schedule ?? string.Empty;
        if (SettingReference().Match(expression) is { Success: true } reference)
        {
            var setting = reference.Groups[1].Value;
            expression = _configuration[setting] ?? string.Empty;
            if (expression.Length == 0)
            {
                reasons.Add($"the schedule refers to app setting '{setting}', which is not set.");
            }
        }

        if (expression.Length > 0)
        {
            if (!CronSchedule.TryParse(expression, out schedule, out var error))
            {
                reasons.Add($"the schedule '{expression}' is not a valid six-field NCRONTAB expression ({{second}} {{minute}} {{hour}} {{day}} {{month}} {{day-of-week}}): {error}.");
            }
            else if (schedule.GetNextOccurrence(DateTime.UtcNow) is null)
            {
                reasons.Add($"the schedule '{expression}' never fires (no date matches its day and month).");
            }
        }
        else if (attribute.Schedule is null or "")
        {
            reasons.Add("the schedule is empty.");
        }

        var bindings = BindOthers(method, trigger, ParameterKind.TimerInfo, FunctionTriggerType.Timer, reasons);
        return Descriptor(name, method, definition, FunctionTriggerType.Timer, bindings, reasons) is { } descriptor
            ? descriptor with { Timer = attribute, Schedule = schedule }
            : null;
    }

    private List<ParameterBinding> BindOthers(MethodInfo method, ParameterInfo trigger, ParameterKind triggerKind, FunctionTriggerType kind, List<string> reasons)
    {
        var bindings = new List<ParameterBinding>();
        foreach (var p in method.GetParameters())
        {
            if (p.Position == trigger.Position)
            {
                bindings.Add(new(p, triggerKind));
            }
            else if (Common(p, reasons, kind) is { } common)
            {
                bindings.Add(common);
            }
            else if (kind == FunctionTriggerType.Activity && p.ParameterType == typeof(TaskActivityContext))
            {
                bindings.Add(new(p, ParameterKind.ActivityContext));
            }
            else
            {
                reasons.Add(Unsupported(p, kind));
            }
        }

        return bindings;
    }

    private static FunctionDescriptor? Descriptor(string name, MethodInfo method, HostFunctionDefinition definition, FunctionTriggerType trigger, List<ParameterBinding> bindings, List<string> reasons) =>
        reasons.Count > 0 ? null : new FunctionDescriptor
        {
            Name = name,
            Method = method,
            Trigger = trigger,
            Definition = definition,
            Parameters = bindings,
            Return = ReturnShape.For(method.ReturnType),
        };

    /// <summary>Binds the parameters every trigger except orchestrations may take; null when the parameter is not one of them.</summary>
    private ParameterBinding? Common(ParameterInfo p, List<string> reasons, FunctionTriggerType kind)
    {
        var type = p.ParameterType;
        if (type == typeof(FunctionContext))
        {
            return new(p, ParameterKind.FunctionContext);
        }

        if (kind == FunctionTriggerType.Orchestration)
        {
            return null;
        }

        if (p.GetCustomAttribute<DurableClientAttribute>() is { } client)
        {
            if (type != typeof(DurableTaskClient))
            {
                reasons.Add($"[DurableClient] parameter '{p.Name}' must be a DurableTaskClient, not {Format(type)}.");
                return new(p, ParameterKind.DurableClient);
            }

            if (!string.IsNullOrEmpty(client.TaskHub) && !string.Equals(client.TaskHub, _hubName, StringComparison.OrdinalIgnoreCase))
            {
                reasons.Add($"[DurableClient] parameter '{p.Name}' asks for task hub '{client.TaskHub}', but this host serves only '{_hubName}'.");
            }

            return new(p, ParameterKind.DurableClient);
        }

        return type == typeof(DurableTaskClient) ? new(p, ParameterKind.DurableClient)
            : type == typeof(CancellationToken) ? new(p, ParameterKind.CancellationToken)
            : type == typeof(ILogger) ? new(p, ParameterKind.Logger)
            : null;
    }

    private static string Unsupported(ParameterInfo p, FunctionTriggerType kind)
    {
        var supported = kind switch
        {
            FunctionTriggerType.Orchestration => "FunctionContext (orchestrators read their input with context.GetInput<T>() and log with context.CreateReplaySafeLogger)",
            FunctionTriggerType.Activity => "FunctionContext, CancellationToken, ILogger, TaskActivityContext, [DurableClient] DurableTaskClient",
            FunctionTriggerType.Http => "HttpContext, ClaimsPrincipal, FunctionContext, CancellationToken, ILogger, [DurableClient] DurableTaskClient, route and query values, one JSON body",
            _ => "FunctionContext, CancellationToken, ILogger, [DurableClient] DurableTaskClient",
        };
        return $"parameter '{p.Name}' of type {Format(p.ParameterType)} is not supported in {Article(kind)} function; supported: {supported}.";
    }

    private static string Article(FunctionTriggerType kind) => kind switch
    {
        FunctionTriggerType.Http => "an HTTP",
        FunctionTriggerType.Orchestration => "an orchestration",
        FunctionTriggerType.Activity => "an activity",
        FunctionTriggerType.Entity => "an entity",
        _ => "a timer",
    };

    private bool IsOptional(ParameterInfo p) =>
        p.HasDefaultValue
        || Nullable.GetUnderlyingType(p.ParameterType) is not null
        || (!p.ParameterType.IsValueType && _nullability.Create(p).ReadState == NullabilityState.Nullable);

    /// <summary>Gets whether the parameter carries [FromBody] (ASP.NET Core's, or any attribute with IFromBodyMetadata).</summary>
    private static bool IsFromBody(ParameterInfo p) => p.GetCustomAttributes(inherit: false).OfType<IFromBodyMetadata>().Any();

    internal static bool IsSimple(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(Guid)
            || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(TimeSpan) || type == typeof(DateOnly)
            || type == typeof(TimeOnly) || type == typeof(Uri);
    }

    private static bool IsSpecial(Type type) =>
        type == typeof(HttpRequest) || type == typeof(HttpResponse) || type == typeof(TaskOrchestrationContext) || type == typeof(TaskActivityContext)
        || type == typeof(TaskEntityDispatcher) || type == typeof(TimerInfo) || type == typeof(FunctionContext) || type == typeof(DurableTaskClient)
        || type == typeof(CancellationToken) || typeof(ILogger).IsAssignableFrom(type) || typeof(IServiceProvider).IsAssignableFrom(type)
        || typeof(Delegate).IsAssignableFrom(type) || type.IsPointer;

    internal static string Format(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } inner)
        {
            return Format(inner) + "?";
        }

        if (!type.IsGenericType)
        {
            return type.Name;
        }

        var name = type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)];
        return $"{name}<{string.Join(", ", type.GetGenericArguments().Select(Format))}>";
    }

    private void IndexClassTask(Type type, DurableTaskAttribute attribute)
    {
        var name = string.IsNullOrEmpty(attribute.Name.Name) ? type.Name : attribute.Name.Name;
        var entryPoint = type.FullName ?? type.Name;
        var kinds = new List<FunctionTriggerType>();
        if (typeof(ITaskOrchestrator).IsAssignableFrom(type))
        {
            kinds.Add(FunctionTriggerType.Orchestration);
        }

        if (typeof(ITaskActivity).IsAssignableFrom(type))
        {
            kinds.Add(FunctionTriggerType.Activity);
        }

        if (typeof(ITaskEntity).IsAssignableFrom(type))
        {
            kinds.Add(FunctionTriggerType.Entity);
        }

        if (!NamePattern().IsMatch(name))
        {
            _errors.Add(new(name, entryPoint, "the name must start with a letter and have at most 128 letters, digits, '_' or '-'."));
        }
        else if (kinds.Count != 1)
        {
            _errors.Add(new(name, entryPoint, "a [DurableTask] class derives from exactly one of TaskOrchestrator<,>, TaskActivity<,> or TaskEntity<>."));
        }
        else if (type.IsAbstract || type.ContainsGenericParameters)
        {
            _errors.Add(new(name, entryPoint, "a [DurableTask] class must be concrete and not generic."));
        }
        else if (kinds[0] == FunctionTriggerType.Orchestration && type.GetConstructor(Type.EmptyTypes) is null)
        {
            _errors.Add(new(name, entryPoint, "an orchestrator class needs a public parameterless constructor: the worker creates orchestrators without services (pass settings in the input, or read them in an activity)."));
        }
        else
        {
            _classTasks.Add(new ClassTask(name, type, kinds[0]));
        }
    }

    private void CheckDuplicateNames()
    {
        var all = _functions.Select(f => (f.Name, Entry: f.Definition.EntryPoint))
            .Concat(_classTasks.Select(c => (c.Name, Entry: c.Type.FullName ?? c.Type.Name)));
        foreach (var group in all.GroupBy(x => x.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            var entries = group.ToList();
            foreach (var (fname, entry) in entries)
            {
                var others = string.Join(", ", entries.Where(e => e.Entry != entry).Select(e => e.Entry));
                _errors.Add(new(fname, entry, $"the name '{group.Key}' is also used by {others}; function names are unique in an app (case-insensitive)."));
            }
        }

        var duplicated = _errors.Select(e => e.FunctionName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        _functions.RemoveAll(f => duplicated.Contains(f.Name));
        _classTasks.RemoveAll(c => duplicated.Contains(c.Name));
    }

    private void CheckRouteConflicts()
    {
        var http = _functions.Where(f => f.Trigger == FunctionTriggerType.Http).ToList();
        for (var i = 0; i < http.Count; i++)
        {
            for (var j = i + 1; j < http.Count; j++)
            {
                var (a, b) = (http[i], http[j]);
                var overlap = a.HttpMethods.Count == 0 || b.HttpMethods.Count == 0 || a.HttpMethods.Intersect(b.HttpMethods).Any();
                if (overlap && string.Equals(a.RouteTemplate, b.RouteTemplate, StringComparison.OrdinalIgnoreCase))
                {
                    _errors.Add(new(b.Name, b.Definition.EntryPoint, $"its route '/{b.RouteTemplate}' and methods overlap with function '{a.Name}'; each route and method must lead to one function."));
                }
            }
        }
    }
}
