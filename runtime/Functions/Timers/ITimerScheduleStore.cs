using Microsoft.Azure.Functions.Worker;

namespace Serverless.Functions.Timers;

/// <summary>
/// Persists the schedule status of each timer function, so that an occurrence runs once across restarts and an
/// occurrence missed while the host was down runs once at start-up. The SQLite storage provider keeps it in the
/// task hub's database; another storage provider registers its own implementation.
/// </summary>
public interface ITimerScheduleStore
{
    /// <summary>Reads the status of a timer function; null when none was written.</summary>
    Task<ScheduleStatus?> GetAsync(string functionName, CancellationToken cancellationToken);

    /// <summary>Writes the status of a timer function.</summary>
    Task SetAsync(string functionName, ScheduleStatus status, CancellationToken cancellationToken);

    /// <summary>
    /// Claims one occurrence of a timer function for this host, so that hosts sharing the store run it once between
    /// them: true for the first host to ask, false for the others. A claim whose occurrence has not been recorded as
    /// run (<see cref="SetAsync"/> with <see cref="ScheduleStatus.Last"/> at the occurrence) can be taken again once
    /// it is older than <paramref name="staleAfter"/>: its host died while running it. A store that only one host can
    /// open has nothing to share and grants every claim. A store shared by hosts measures a claim's age on its own
    /// clock (the hosts' clocks may disagree); <paramref name="nowUtc"/> is then only recorded.
    /// </summary>
    Task<bool> TryClaimAsync(string functionName, DateTime occurrence, DateTime nowUtc, TimeSpan staleAfter, CancellationToken cancellationToken) =>
        Task.FromResult(true);
}

/// <summary>What the SQL timer schedule stores share: reading a row of (last, next, last updated) ticks.</summary>
internal static class TimerScheduleRows
{
    /// <summary>Runs a query selecting <c>last_utc, next_utc, last_updated_utc</c>; null when it returns no row.</summary>
    public static async Task<ScheduleStatus?> ReadAsync(System.Data.Common.DbCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        DateTime Read(int ordinal) => new(reader.GetInt64(ordinal), DateTimeKind.Utc);
        return new ScheduleStatus { Last = Read(0), Next = Read(1), LastUpdated = Read(2) };
    }
}
