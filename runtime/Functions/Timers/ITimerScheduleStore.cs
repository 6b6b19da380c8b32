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
}
