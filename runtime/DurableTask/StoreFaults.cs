using Serverless.DurableTask.Postgres;
using Serverless.DurableTask.Sqlite;

namespace Serverless.DurableTask;

/// <summary>
/// Sorts errors into "the store is unavailable" — its storage cannot write (SQLite: disk full, read-only, I/O) or its
/// database cannot be reached (PostgreSQL: connection refused or broken, server shutting down, timeouts) — and the
/// rest. An unavailable store is nobody's fault and passes: callers answer 503 and retry, work is not counted as a
/// failed delivery.
/// </summary>
public static class StoreFaults
{
    /// <summary>Whether <paramref name="exception"/> (or what it wraps) means the store is unavailable.</summary>
    public static bool IsUnavailable(Exception? exception) =>
        exception is not null && (exception is StoreUnavailableException || SqliteFaults.Describe(exception, string.Empty) is not null || IsUnreachable(exception) || IsUnavailable(exception.InnerException));

    /// <summary>Whether <paramref name="exception"/> (or what it wraps) says a PostgreSQL database could not be reached or stopped answering.</summary>
    public static bool IsUnreachable(Exception? exception) =>
        exception is not null && (PostgresOrchestrationStore.IsUnavailable(exception) || IsUnreachable(exception.InnerException));
}
