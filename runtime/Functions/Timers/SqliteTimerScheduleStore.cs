using Microsoft.Azure.Functions.Worker;
using Microsoft.Data.Sqlite;

namespace Serverless.Functions.Timers;

/// <summary>
/// Timer schedule status in a table of the task hub's SQLite database, so a snapshot of the database carries it.
/// The table belongs to the host, not the durable store; it is created on first use.
/// </summary>
internal sealed class SqliteTimerScheduleStore : ITimerScheduleStore
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _schema = new(1, 1);
    private bool _created;

    public SqliteTimerScheduleStore(string databasePath)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();
    }

    public async Task<ScheduleStatus?> GetAsync(string functionName, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT last_utc, next_utc, last_updated_utc FROM FunctionTimerSchedules WHERE function_name = $name";
        command.Parameters.AddWithValue("$name", functionName);
        return await TimerScheduleRows.ReadAsync(command, cancellationToken);
    }

    public async Task SetAsync(string functionName, ScheduleStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO FunctionTimerSchedules (function_name, last_utc, next_utc, last_updated_utc) VALUES ($name, $last, $next, $updated)
            ON CONFLICT (function_name) DO UPDATE SET last_utc = excluded.last_utc, next_utc = excluded.next_utc, last_updated_utc = excluded.last_updated_utc
            """;
        command.Parameters.AddWithValue("$name", functionName);
        command.Parameters.AddWithValue("$last", status.Last.Ticks);
        command.Parameters.AddWithValue("$next", status.Next.Ticks);
        command.Parameters.AddWithValue("$updated", status.LastUpdated.Ticks);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        if (!_created)
        {
            await _schema.WaitAsync(cancellationToken);
            try
            {
                if (!_created)
                {
                    await using var command = connection.CreateCommand();
                    command.CommandText = "CREATE TABLE IF NOT EXISTS FunctionTimerSchedules (function_name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE, last_utc INTEGER NOT NULL, next_utc INTEGER NOT NULL, last_updated_utc INTEGER NOT NULL)";
                    await command.ExecuteNonQueryAsync(cancellationToken);
                    _created = true;
                }
            }
            finally
            {
                _schema.Release();
            }
        }

        return connection;
    }
}
