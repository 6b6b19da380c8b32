using Microsoft.Extensions.Logging;

namespace Serverless.DurableTask.Postgres;

/// <summary>The PostgreSQL store's log events. No connection strings and no payloads are logged.</summary>
internal static partial class PostgresLogs
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Hub {HubName}: the PostgreSQL database is unreachable ({Reason}); retrying with backoff")]
    public static partial void DatabaseUnreachable(this ILogger logger, string hubName, string reason);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Hub {HubName}: the PostgreSQL database is reachable again")]
    public static partial void DatabaseReachable(this ILogger logger, string hubName);

    [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "Hub {HubName}: the notification listener failed; reconnecting")]
    public static partial void ListenerFailed(this ILogger logger, string hubName, Exception exception);

    [LoggerMessage(EventId = 303, Level = LogLevel.Error, Message = "Hub {HubName}: leasing work failed; retrying")]
    public static partial void DispatchFailed(this ILogger logger, string hubName, Exception exception);

    [LoggerMessage(EventId = 304, Level = LogLevel.Error, Message = "Hub {HubName}: lease maintenance failed; retrying")]
    public static partial void LeaseMaintenanceFailed(this ILogger logger, string hubName, Exception exception);

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning, Message = "Hub {HubName}: voided the leases of a host that is gone ({Orchestrations} instances, {Activities} activities); they are offered again")]
    public static partial void LeasesOfDeadHostVoided(this ILogger logger, string hubName, long orchestrations, long activities);
}
