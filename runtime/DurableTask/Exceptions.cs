using Microsoft.DurableTask.Client;
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

/// <summary>
/// Thrown when an input, event, output or entity signal is larger than the hub's payload limit
/// (<c>extensions.durableTask.maxPayloadBytes</c>, 4 MiB by default). Nothing was stored.
/// </summary>
public sealed class PayloadTooLargeException : DurableTaskException
{
    /// <summary>Initializes a new instance of the <see cref="PayloadTooLargeException"/> class.</summary>
    public PayloadTooLargeException(string what, long size, long limit)
        : base($"The {what} is {size:N0} bytes, over the hub's limit of {limit:N0} bytes (extensions.durableTask.maxPayloadBytes); nothing was stored.")
    {
        What = what;
        Size = size;
        Limit = limit;
    }

    /// <summary>Gets what was too large (e.g. "orchestration input").</summary>
    public string What { get; }

    /// <summary>Gets its size in UTF-8 bytes.</summary>
    public long Size { get; }

    /// <summary>Gets the limit in bytes.</summary>
    public long Limit { get; }
}

/// <summary>
/// The store's database is held by another host process (the SQLite store's exclusive lock file): a second process may
/// not open it. Stop the other host, or use another data directory.
/// </summary>
public sealed class StoreInUseException : InvalidOperationException
{
    /// <summary>Initializes a new instance of the <see cref="StoreInUseException"/> class.</summary>
    public StoreInUseException(string databasePath, Exception? innerException = null)
        : base($"The database '{databasePath}' is in use by another host process (its lock file '{databasePath}.lock' is held). Stop the other host or use another data directory.", innerException)
    {
        DatabasePath = databasePath;
    }

    /// <summary>Gets the database file that is in use.</summary>
    public string DatabasePath { get; }
}
