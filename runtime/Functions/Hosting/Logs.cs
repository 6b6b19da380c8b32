using Microsoft.Extensions.Logging;

namespace Serverless.Functions.Hosting;

/// <summary>The functions host's log events, with stable event ids (300–399). Payloads, keys and tokens are never logged.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Executing 'Functions.{FunctionName}' (Reason='{Reason}', Id={InvocationId})")]
    public static partial void FunctionExecuting(this ILogger logger, string functionName, string reason, string invocationId);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Executed 'Functions.{FunctionName}' ({Status}, Id={InvocationId}, Duration={DurationMs:0}ms)")]
    public static partial void FunctionExecuted(this ILogger logger, string functionName, string status, string invocationId, double durationMs);

    [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "Executed 'Functions.{FunctionName}' (Failed, Id={InvocationId}, Duration={DurationMs:0}ms)")]
    public static partial void FunctionFailed(this ILogger logger, string functionName, string invocationId, double durationMs, Exception exception);

    [LoggerMessage(EventId = 303, Level = LogLevel.Error, Message = "Executed 'Functions.{FunctionName}' (Failed, Id={InvocationId}): the store is unavailable: {Reason}")]
    public static partial void FunctionStorageFault(this ILogger logger, string functionName, string invocationId, string reason);

    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Functions host started: {FunctionCount} functions, task hub {HubName}, storage {Storage}")]
    public static partial void HostStarted(this ILogger logger, int functionCount, string hubName, string storage);

    [LoggerMessage(EventId = 311, Level = LogLevel.Information, Message = "Functions host stopping: no new work is taken; running activities get {GracePeriod} to finish")]
    public static partial void HostStopping(this ILogger logger, TimeSpan gracePeriod);

    [LoggerMessage(EventId = 312, Level = LogLevel.Warning, Message = "Data directory {DataDirectory} was open to other users of this machine: made {Count} entries private (folders 0700, files 0600): {Entries}")]
    public static partial void DataDirectoryTightened(this ILogger logger, string dataDirectory, int count, string entries);

    [LoggerMessage(EventId = 313, Level = LogLevel.Warning, Message = "Data directory {DataDirectory} could not be made private, so other users of this machine may read it: {Entries}. Give the hub's user ownership of the directory")]
    public static partial void DataDirectoryNotPrivate(this ILogger logger, string dataDirectory, string entries);

    [LoggerMessage(EventId = 320, Level = LogLevel.Debug, Message = "Timer {FunctionName}: next occurrence {Next:o}")]
    public static partial void TimerScheduled(this ILogger logger, string functionName, DateTime next);

    [LoggerMessage(EventId = 321, Level = LogLevel.Information, Message = "Timer {FunctionName} missed its occurrence {Occurrence:o} while the host was down; running it once now")]
    public static partial void TimerPastDue(this ILogger logger, string functionName, DateTime occurrence);

    [LoggerMessage(EventId = 322, Level = LogLevel.Error, Message = "Timer {FunctionName} could not read or write its schedule status; it keeps running on its schedule, but a restart may repeat or miss an occurrence")]
    public static partial void TimerStatusFailed(this ILogger logger, string functionName, Exception exception);

    [LoggerMessage(EventId = 325, Level = LogLevel.Error, Message = "Timer {FunctionName} occurrence {Occurrence:o} not run: the store could not be asked who runs it ({Reason}); the next occurrence is claimed as usual")]
    public static partial void TimerClaimFailed(this ILogger logger, string functionName, DateTime occurrence, string reason);

    [LoggerMessage(EventId = 324, Level = LogLevel.Debug, Message = "Timer {FunctionName} occurrence {Occurrence:o} was claimed by another host sharing the store; not run here")]
    public static partial void TimerOccurrenceClaimedElsewhere(this ILogger logger, string functionName, DateTime occurrence);

    [LoggerMessage(EventId = 323, Level = LogLevel.Warning, Message = "Timer {FunctionName} occurrence {Occurrence:o} failed; the schedule continues")]
    public static partial void TimerOccurrenceFailed(this ILogger logger, string functionName, DateTime occurrence, Exception exception);

    [LoggerMessage(EventId = 340, Level = LogLevel.Error, Message = "Durable management API request {Method} {Path} failed")]
    public static partial void ManagementApiFailed(this ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(EventId = 350, Level = LogLevel.Warning, Message = "Readiness check failed: the store did not answer")]
    public static partial void ReadinessFailed(this ILogger logger, Exception exception);
}
