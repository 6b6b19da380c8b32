namespace Serverless.DurableTask;

/// <summary>An orchestrator the worker can run: the untyped contract behind <see cref="TaskOrchestrator{TInput, TOutput}"/>.</summary>
public interface ITaskOrchestrator
{
    /// <summary>Gets the type the input is deserialized to.</summary>
    Type InputType { get; }

    /// <summary>Gets the type of the output.</summary>
    Type OutputType { get; }

    /// <summary>Runs the orchestrator.</summary>
    Task<object?> RunAsync(TaskOrchestrationContext context, object? input);
}

/// <summary>Base class for class-based orchestrators.</summary>
/// <typeparam name="TInput">The input type.</typeparam>
/// <typeparam name="TOutput">The output type.</typeparam>
public abstract class TaskOrchestrator<TInput, TOutput> : ITaskOrchestrator
{
    /// <inheritdoc/>
    public Type InputType => typeof(TInput);

    /// <inheritdoc/>
    public Type OutputType => typeof(TOutput);

    /// <summary>Runs the orchestrator. The code must be deterministic: see docs/runtime.md.</summary>
    public abstract Task<TOutput> RunAsync(TaskOrchestrationContext context, TInput input);

    async Task<object?> ITaskOrchestrator.RunAsync(TaskOrchestrationContext context, object? input) =>
        await RunAsync(context, input is null ? default! : (TInput)input).ConfigureAwait(true);
}

/// <summary>An activity the worker can run: the untyped contract behind <see cref="TaskActivity{TInput, TOutput}"/>.</summary>
public interface ITaskActivity
{
    /// <summary>Gets the type the input is deserialized to.</summary>
    Type InputType { get; }

    /// <summary>Gets the type of the output.</summary>
    Type OutputType { get; }

    /// <summary>Runs the activity.</summary>
    Task<object?> RunAsync(TaskActivityContext context, object? input);
}

/// <summary>Base class for class-based activities.</summary>
/// <typeparam name="TInput">The input type.</typeparam>
/// <typeparam name="TOutput">The output type.</typeparam>
public abstract class TaskActivity<TInput, TOutput> : ITaskActivity
{
    /// <inheritdoc/>
    public Type InputType => typeof(TInput);

    /// <inheritdoc/>
    public Type OutputType => typeof(TOutput);

    /// <summary>Runs the activity. Activities run at least once: use <see cref="TaskActivityContext.IdempotencyKey"/> for side effects.</summary>
    public abstract Task<TOutput> RunAsync(TaskActivityContext context, TInput input);

    async Task<object?> ITaskActivity.RunAsync(TaskActivityContext context, object? input) =>
        await RunAsync(context, input is null ? default! : (TInput)input).ConfigureAwait(false);
}

/// <summary>What an activity knows about its invocation.</summary>
public abstract class TaskActivityContext
{
    /// <summary>Gets the name of the activity.</summary>
    public abstract TaskName Name { get; }

    /// <summary>Gets the instance id of the orchestration that scheduled the activity.</summary>
    public abstract string InstanceId { get; }

    /// <summary>Gets the sequence number of the activity inside its orchestration.</summary>
    public abstract int TaskId { get; }

    /// <summary>
    /// Gets a key that is the same for every execution of this scheduled activity (instance id, execution and
    /// task id) and differs across activities. Activities are delivered at least once; pass this key to the
    /// systems you call so that a repeated execution has no second effect.
    /// </summary>
    public abstract string IdempotencyKey { get; }

    /// <summary>Gets how many times this activity was delivered before (0 on the first delivery in this process).</summary>
    public abstract int DequeueCount { get; }

    /// <summary>Gets a token that is cancelled when the host stops after the grace period.</summary>
    public abstract CancellationToken CancellationToken { get; }
}
