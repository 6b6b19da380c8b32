using Microsoft.Extensions.DependencyInjection;
using Serverless.DurableTask.Entities;

namespace Serverless.DurableTask.Worker;

/// <summary>The orchestrators, activities and entities a worker can run, by name.</summary>
public sealed class DurableTaskRegistry
{
    internal Dictionary<TaskName, Func<IServiceProvider, ITaskOrchestrator>> Orchestrators { get; } = [];

    internal Dictionary<TaskName, Func<IServiceProvider, ITaskActivity>> Activities { get; } = [];

    internal Dictionary<string, Func<IServiceProvider, ITaskEntity>> Entities { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Registers an orchestrator class under its type name.</summary>
    public DurableTaskRegistry AddOrchestrator<TOrchestrator>()
        where TOrchestrator : class, ITaskOrchestrator =>
        AddOrchestrator(typeof(TOrchestrator).Name, typeof(TOrchestrator));

    /// <summary>Registers an orchestrator class under a name; instances are created with constructor injection.</summary>
    public DurableTaskRegistry AddOrchestrator(TaskName name, Type orchestratorType)
    {
        EnsureAssignable<ITaskOrchestrator>(orchestratorType);
        return AddOrchestrator(name, sp => (ITaskOrchestrator)ActivatorUtilities.CreateInstance(sp, orchestratorType));
    }

    /// <summary>Registers an orchestrator factory under a name.</summary>
    public DurableTaskRegistry AddOrchestrator(TaskName name, Func<IServiceProvider, ITaskOrchestrator> factory)
    {
        Add(Orchestrators, name, factory, "orchestrator");
        return this;
    }

    /// <summary>Registers an orchestrator function.</summary>
    public DurableTaskRegistry AddOrchestratorFunc<TInput, TOutput>(TaskName name, Func<TaskOrchestrationContext, TInput, Task<TOutput>> implementation)
    {
        ArgumentNullException.ThrowIfNull(implementation);
        var orchestrator = new FuncOrchestrator<TInput, TOutput>(implementation);
        return AddOrchestrator(name, _ => orchestrator);
    }

    /// <summary>Registers an orchestrator function with no input.</summary>
    public DurableTaskRegistry AddOrchestratorFunc<TOutput>(TaskName name, Func<TaskOrchestrationContext, Task<TOutput>> implementation) =>
        AddOrchestratorFunc<object?, TOutput>(name, (ctx, _) => implementation(ctx));

    /// <summary>Registers an activity class under its type name.</summary>
    public DurableTaskRegistry AddActivity<TActivity>()
        where TActivity : class, ITaskActivity =>
        AddActivity(typeof(TActivity).Name, typeof(TActivity));

    /// <summary>Registers an activity class under a name; instances are created with constructor injection.</summary>
    public DurableTaskRegistry AddActivity(TaskName name, Type activityType)
    {
        EnsureAssignable<ITaskActivity>(activityType);
        return AddActivity(name, sp => (ITaskActivity)ActivatorUtilities.CreateInstance(sp, activityType));
    }

    /// <summary>Registers an activity factory under a name.</summary>
    public DurableTaskRegistry AddActivity(TaskName name, Func<IServiceProvider, ITaskActivity> factory)
    {
        Add(Activities, name, factory, "activity");
        return this;
    }

    /// <summary>Registers an activity function.</summary>
    public DurableTaskRegistry AddActivityFunc<TInput, TOutput>(TaskName name, Func<TaskActivityContext, TInput, Task<TOutput>> implementation)
    {
        ArgumentNullException.ThrowIfNull(implementation);
        var activity = new FuncActivity<TInput, TOutput>(implementation);
        return AddActivity(name, _ => activity);
    }

    /// <summary>Registers a synchronous activity function.</summary>
    public DurableTaskRegistry AddActivityFunc<TInput, TOutput>(TaskName name, Func<TaskActivityContext, TInput, TOutput> implementation)
    {
        ArgumentNullException.ThrowIfNull(implementation);
        return AddActivityFunc<TInput, TOutput>(name, (ctx, input) => Task.FromResult(implementation(ctx, input)));
    }

    /// <summary>Registers an entity class under its type name (entity names are case-insensitive).</summary>
    public DurableTaskRegistry AddEntity<TEntity>(string? name = null)
        where TEntity : class, ITaskEntity
    {
        var entityName = name ?? typeof(TEntity).Name;
        return AddEntity(entityName, sp => ActivatorUtilities.CreateInstance<TEntity>(sp));
    }

    /// <summary>Registers an entity factory under a name. A new instance is created for each operation.</summary>
    public DurableTaskRegistry AddEntity(string name, Func<IServiceProvider, ITaskEntity> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        if (!Entities.TryAdd(name.ToLowerInvariant(), factory))
        {
            throw new InvalidOperationException($"An entity named '{name}' is already registered.");
        }

        return this;
    }

    private static void Add<T>(Dictionary<TaskName, T> map, TaskName name, T factory, string kind)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (!map.TryAdd(name, factory))
        {
            throw new InvalidOperationException($"An {kind} named '{name}' is already registered.");
        }
    }

    private static void EnsureAssignable<T>(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (!typeof(T).IsAssignableFrom(type) || type.IsAbstract)
        {
            throw new ArgumentException($"Type '{type.FullName}' is not a concrete {typeof(T).Name}.", nameof(type));
        }
    }

    private sealed class FuncOrchestrator<TInput, TOutput>(Func<TaskOrchestrationContext, TInput, Task<TOutput>> implementation) : TaskOrchestrator<TInput, TOutput>
    {
        public override Task<TOutput> RunAsync(TaskOrchestrationContext context, TInput input) => implementation(context, input);
    }

    private sealed class FuncActivity<TInput, TOutput>(Func<TaskActivityContext, TInput, Task<TOutput>> implementation) : TaskActivity<TInput, TOutput>
    {
        public override Task<TOutput> RunAsync(TaskActivityContext context, TInput input) => implementation(context, input);
    }
}
