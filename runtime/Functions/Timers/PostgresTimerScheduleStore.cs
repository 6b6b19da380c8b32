using Microsoft.Azure.Functions.Worker;
using Npgsql;

namespace Serverless.Functions.Timers;

/// <summary>
/// Timer schedule status in the task hub's PostgreSQL schema (table <c>function_timer_schedules</c>, created by the
/// store's migrations), through the connections of <see cref="Hosting.SharedPostgresDatabase"/>.
/// </summary>
internal sealed class PostgresTimerScheduleStore(NpgsqlDataSource dataSource) : ITimerScheduleStore
{
    /// <summary>The database's clock in .NET ticks (100 ns since 0001-01-01), the unit of the table's times.</summary>
    private const string DbTicks = "((extract(epoch from clock_timestamp()) * 10000000)::bigint + 621355968000000000)";

    private readonly NpgsqlDataSource _dataSource = dataSource;

    public async Task<ScheduleStatus?> GetAsync(string functionName, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT last_utc, next_utc, last_updated_utc FROM function_timer_schedules WHERE function_name = $1");
        command.Parameters.Add(new() { Value = functionName.ToLowerInvariant() });
        return await TimerScheduleRows.ReadAsync(command, cancellationToken);
    }

    public async Task SetAsync(string functionName, ScheduleStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        await using var command = _dataSource.CreateCommand("""
            INSERT INTO function_timer_schedules (function_name, last_utc, next_utc, last_updated_utc) VALUES ($1, $2, $3, $4)
            ON CONFLICT (function_name) DO UPDATE SET last_utc = excluded.last_utc, next_utc = excluded.next_utc, last_updated_utc = excluded.last_updated_utc
            """);
        command.Parameters.Add(new() { Value = functionName.ToLowerInvariant() });
        command.Parameters.Add(new() { Value = status.Last.Ticks });
        command.Parameters.Add(new() { Value = status.Next.Ticks });
        command.Parameters.Add(new() { Value = status.LastUpdated.Ticks });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> TryClaimAsync(string functionName, DateTime occurrence, DateTime nowUtc, TimeSpan staleAfter, CancellationToken cancellationToken)
    {
        // Under READ COMMITTED a second host's upsert waits for the first one's row lock and then re-checks the
        // condition against the claimed row: exactly one of them gets a row back. When a claim was made and whether it
        // is stale are the database's clock (in .NET ticks), as the store's leases are: a host whose clock runs ahead
        // does not take a live claim.
        await using var command = _dataSource.CreateCommand($"""
            INSERT INTO function_timer_schedules AS s (function_name, last_utc, next_utc, last_updated_utc, claimed_utc, claimed_at_utc)
            VALUES ($1, 0, $2, $3, $2, {DbTicks})
            ON CONFLICT (function_name) DO UPDATE SET claimed_utc = excluded.claimed_utc, claimed_at_utc = excluded.claimed_at_utc
            WHERE s.claimed_utc < excluded.claimed_utc
               OR (s.claimed_utc = excluded.claimed_utc AND s.last_utc < excluded.claimed_utc AND s.claimed_at_utc < {DbTicks} - $4)
            """);
        command.Parameters.Add(new() { Value = functionName.ToLowerInvariant() });
        command.Parameters.Add(new() { Value = occurrence.Ticks });
        command.Parameters.Add(new() { Value = nowUtc.Ticks });
        command.Parameters.Add(new() { Value = staleAfter.Ticks });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
