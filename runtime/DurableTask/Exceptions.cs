namespace Serverless.DurableTask;

/// <summary>Base type of every exception the durable runtime throws on purpose.</summary>
public abstract class DurableTaskException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="DurableTaskException"/> class.</summary>
    protected DurableTaskException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>Thrown into orchestrator code when an activity or a sub-orchestration it awaited failed.</summary>
public sealed class TaskFailedException : DurableTaskException
{
    /// <summary>Initializes a new instance of the <see cref="TaskFailedException"/> class.</summary>
    public TaskFailedException(string taskName, int taskId, TaskFailureDetails failureDetails)
        : base($"Task '{taskName}' (#{taskId}) failed with an unhandled exception: {failureDetails.ErrorMessage}")
    {
        TaskName = taskName;
        TaskId = taskId;
        FailureDetails = failureDetails;
    }

    /// <summary>Gets the name of the task that failed.</summary>
    public string TaskName { get; }

    /// <summary>Gets the sequence number of the task inside its orchestration.</summary>
    public int TaskId { get; }

    /// <summary>Gets the details of the failure.</summary>
    public TaskFailureDetails FailureDetails { get; }
}

/// <summary>Thrown into orchestrator code when an entity operation it called failed.</summary>
public sealed class EntityOperationFailedException : DurableTaskException
{
    /// <summary>Initializes a new instance of the <see cref="EntityOperationFailedException"/> class.</summary>
    public EntityOperationFailedException(string entityId, string operationName, TaskFailureDetails failureDetails)
        : base($"Operation '{operationName}' of entity '{entityId}' failed: {failureDetails.ErrorMessage}")
    {
        EntityId = entityId;
        OperationName = operationName;
        FailureDetails = failureDetails;
    }

    /// <summary>Gets the entity's instance id.</summary>
    public string EntityId { get; }

    /// <summary>Gets the operation name.</summary>
    public string OperationName { get; }

    /// <summary>Gets the details of the failure.</summary>
    public TaskFailureDetails FailureDetails { get; }
}

/// <summary>The orchestrator code does not match the recorded history of the instance.</summary>
public sealed class NonDeterministicOrchestrationException : DurableTaskException
{
    /// <summary>Initializes a new instance of the <see cref="NonDeterministicOrchestrationException"/> class.</summary>
    public NonDeterministicOrchestrationException(int step, string message)
        : base($"Non-deterministic orchestration detected at step {step}: {message}")
    {
        Step = step;
    }

    /// <summary>Gets the sequence number of the step where code and history disagree.</summary>
    public int Step { get; }
}

/// <summary>Orchestrator code broke a rule of the replay model (awaited a non-durable task, left the orchestration thread).</summary>
public sealed class OrchestrationRuleViolationException : DurableTaskException
{
    /// <summary>Initializes a new instance of the <see cref="OrchestrationRuleViolationException"/> class.</summary>
    public OrchestrationRuleViolationException(string message)
        : base(message)
    {
    }
}

/// <summary>An orchestration instance with the requested id already exists and is not finished.</summary>
public sealed class OrchestrationAlreadyExistsException : DurableTaskException
{
    /// <summary>Initializes a new instance of the <see cref="OrchestrationAlreadyExistsException"/> class.</summary>
    public OrchestrationAlreadyExistsException(string instanceId, OrchestrationRuntimeStatus status)
        : base($"An orchestration with instance id '{instanceId}' already exists and is {status}.")
    {
        InstanceId = instanceId;
        Status = status;
    }

    /// <summary>Gets the instance id.</summary>
    public string InstanceId { get; }

    /// <summary>Gets the status of the existing instance.</summary>
    public OrchestrationRuntimeStatus Status { get; }
}

/// <summary>The instance does not exist.</summary>
public sealed class OrchestrationNotFoundException : DurableTaskException
{
    /// <summary>Initializes a new instance of the <see cref="OrchestrationNotFoundException"/> class.</summary>
    public OrchestrationNotFoundException(string instanceId)
        : base($"No orchestration instance with id '{instanceId}' exists.")
    {
        InstanceId = instanceId;
    }

    /// <summary>Gets the instance id.</summary>
    public string InstanceId { get; }
}

/// <summary>The instance is in a state where the requested operation is not allowed (for example an event to a finished instance).</summary>
public sealed class OrchestrationStateConflictException : DurableTaskException
{
    /// <summary>Initializes a new instance of the <see cref="OrchestrationStateConflictException"/> class.</summary>
    public OrchestrationStateConflictException(string instanceId, OrchestrationRuntimeStatus status, string message)
        : base(message)
    {
        InstanceId = instanceId;
        Status = status;
    }

    /// <summary>Gets the instance id.</summary>
    public string InstanceId { get; }

    /// <summary>Gets the current status of the instance.</summary>
    public OrchestrationRuntimeStatus Status { get; }
}

/// <summary>No orchestrator, activity or entity is registered under the name.</summary>
public sealed class TaskNotRegisteredException : DurableTaskException
{
    /// <summary>Initializes a new instance of the <see cref="TaskNotRegisteredException"/> class.</summary>
    public TaskNotRegisteredException(string kind, string name)
        : base($"No {kind} named '{name}' is registered with this worker.")
    {
        Kind = kind;
        TaskName = name;
    }

    /// <summary>Gets the kind: orchestrator, activity or entity.</summary>
    public string Kind { get; }

    /// <summary>Gets the missing name.</summary>
    public string TaskName { get; }
}

/// <summary>
/// Thrown when the store cannot take writes for a reason outside the runtime — its disk is full, its file or file system
/// is read-only, an I/O error. Nothing was written; the work that needed the write waits and is retried (it is not
/// counted as a failed delivery), and the store reports itself not ready until a write succeeds again.
/// </summary>
public sealed class StoreUnavailableException : DurableTaskException
{
    /// <summary>Initializes a new instance of the <see cref="StoreUnavailableException"/> class.</summary>
    public StoreUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>Thrown at start-up when a store file is damaged: the host must not run on it (restore it from a backup).</summary>
public sealed class StoreCorruptException : DurableTaskException
{
    /// <summary>Initializes a new instance of the <see cref="StoreCorruptException"/> class.</summary>
    public StoreCorruptException(string path, string problem, Exception? innerException = null)
        : base($"The database file '{path}' is damaged ({problem}). The hub does not start on a damaged store.", innerException)
    {
        Path = path;
    }

    /// <summary>Gets the damaged file.</summary>
    public string Path { get; }
}
