using System.Text.Json;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Cli;

/// <summary>The exit codes of the <c>durable</c> command, for scripts (docs/cli.md).</summary>
public static class DurableExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>The hub or the store could not be reached or opened, or answered with an error of its own (5xx).</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong (unknown option, missing value, bad time, JSON or status), or the hub refused the request as malformed (400).</summary>
    public const int Usage = 2;

    /// <summary>No such instance (404), or no data directory or store where <c>--data-dir</c> points.</summary>
    public const int NotFound = 3;

    /// <summary>The instance is not in a state that allows the operation (finished, still running, not failed, id taken), or the store is held by a running hub.</summary>
    public const int Conflict = 4;

    /// <summary>The hub or its store cannot do this (rewind; delete-task-hub on PostgreSQL).</summary>
    public const int NotSupported = 5;

    /// <summary>The hub refused the host key (401/403), or no host key was found.</summary>
    public const int Denied = 6;
}

/// <summary>A failure of a <c>durable</c> command with the exit code it ends with; the message never holds a key.</summary>
public sealed class DurableCommandException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>What <c>get-instances</c> asks for.</summary>
public sealed record InstanceFilter(
    DateTimeOffset? CreatedAfter,
    DateTimeOffset? CreatedBefore,
    IReadOnlyList<OrchestrationRuntimeStatus> Statuses,
    string? InstanceIdPrefix,
    int Top,
    string? ContinuationToken,
    bool ShowInput);

/// <summary>A page of instances: the status objects of the management API, and the token of the next page.</summary>
public sealed record InstancePage(IReadOnlyList<JsonElement> Instances, string? ContinuationToken);

/// <summary>
/// Where the <c>durable</c> commands go: a running hub's management API, or a stopped hub's store through Microsoft's
/// <see cref="DurableTaskClient"/>. Both answer with the management API's JSON shapes and throw
/// <see cref="DurableCommandException"/> with the same exit codes for the same failures.
/// </summary>
public interface IDurableBackend : IAsyncDisposable
{
    /// <summary>Gets a description of the target for messages (an address or a data directory; never a key).</summary>
    string Target { get; }

    Task<InstancePage> ListAsync(InstanceFilter filter, CancellationToken cancellationToken);

    /// <summary>The status object of an instance, with <c>historyEvents</c> when <paramref name="history"/> is set.</summary>
    Task<JsonElement> GetStatusAsync(string instanceId, bool showInput, bool history, CancellationToken cancellationToken);

    /// <summary>Starts an orchestration; returns its instance id.</summary>
    Task<string> StartAsync(string functionName, string? instanceId, JsonElement? input, CancellationToken cancellationToken);

    Task RaiseEventAsync(string instanceId, string eventName, JsonElement? data, CancellationToken cancellationToken);

    /// <summary>terminate, suspend, resume or rewind.</summary>
    Task ControlAsync(string instanceId, InstanceOperation operation, string? reason, CancellationToken cancellationToken);

    /// <summary>Purges one finished instance with its history; returns how many instances were deleted.</summary>
    Task<int> PurgeAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Purges the finished instances created in the window with one of the statuses (any finished status when empty).</summary>
    Task<int> PurgeAsync(DateTimeOffset createdAfter, DateTimeOffset? createdBefore, IReadOnlyList<OrchestrationRuntimeStatus> statuses, CancellationToken cancellationToken);

    /// <summary>Deletes the task hub's store; returns what was deleted.</summary>
    Task<IReadOnlyList<string>> DeleteTaskHubAsync(CancellationToken cancellationToken);
}

/// <summary>The control operations on one instance.</summary>
public enum InstanceOperation
{
    Terminate,
    Suspend,
    Resume,
    Rewind,
}
