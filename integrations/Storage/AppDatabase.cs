using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace CompanyHub.Integrations.Storage;

/// <summary>One of the app's own SQLite files (audit, conversations): opens pooled connections and creates the schema once.</summary>
public sealed class AppDatabase
{
    private readonly string _connectionString;
    private readonly string _schema;
    private readonly SemaphoreSlim _init = new(1, 1);
    private volatile bool _ready;

    public AppDatabase(string path, string schema)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 5 }.ToString();
        _schema = "PRAGMA journal_mode=WAL;\n" + schema;
    }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (_ready)
        {
            return connection;
        }

        await _init.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_ready)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = _schema;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                _ready = true;
            }
        }
        finally
        {
            _init.Release();
        }

        return connection;
    }
}

/// <summary>Parameters for the SQL the app's stores share between SQLite and PostgreSQL (both take <c>@name</c>).</summary>
internal static class DbCommandParameters
{
    public static void AddParameter(this DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
