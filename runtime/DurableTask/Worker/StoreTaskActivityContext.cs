using Microsoft.DurableTask;
using Serverless.DurableTask.Engine;

namespace Serverless.DurableTask.Worker;

/// <summary>
/// The context an activity runs with: Microsoft's <see cref="TaskActivityContext"/> (name, instance id), plus what
/// our dispatcher knows of the delivery. Activities written for the SDK need none of the extra members; code that
/// wants them casts the context.
/// </summary>
public sealed class StoreTaskActivityContext : TaskActivityContext
{
    private readonly ActivityTask _task;

    internal StoreTaskActivityContext(ActivityTask task, CancellationToken cancellationToken)
    {
        _task = task;
        CancellationToken = cancellationToken;
    }

    /// <inheritdoc/>
    public override TaskName Name => _task.Name;

    /// <inheritdoc/>
    public override string InstanceId => _task.InstanceId;

    /// <summary>Gets the activity's task id in its orchestration's execution.</summary>
    public int TaskId => _task.TaskId;

    /// <summary>Gets a key that is the same for every delivery of this activity (instance, execution, task id).</summary>
    public string IdempotencyKey => KeyOf(_task);

    /// <summary>The key that names one scheduled activity across its deliveries (instance, execution, task id).</summary>
    internal static string KeyOf(ActivityTask task) => $"{task.InstanceId}:{task.ExecutionId}:{task.TaskId}";

    /// <summary>Gets how many times this activity was delivered before (0 on the first run).</summary>
    public int DequeueCount => _task.DequeueCount;

    /// <summary>Gets a token cancelled when the host stops and the grace period is over.</summary>
    public CancellationToken CancellationToken { get; }
}
