using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Serverless.DurableTask.Sqlite;

/// <summary>Applies the embedded, versioned schema scripts (<c>Migrations/NNNN_name.sql</c>) in order, each in its own transaction.</summary>
internal static class SqliteMigrations
{
    private const string Prefix = "Serverless.Sqlite.Migrations.";

    private const string ConvertMarker = "-- @convert";

    /// <summary>The C# steps of the scripts that have one, by version.</summary>
    private static readonly Dictionary<int, Action<SqliteConnection, SqliteTransaction>> ConvertSteps = new()
    {
        [2] = Upgrade.SqliteHistoryUpgrade.Convert,
    };

    public static int LatestVersion => Scripts().Select(s => s.Version).DefaultIfEmpty(0).Max();

    public static void Apply(SqliteConnection connection)
    {
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE IF NOT EXISTS SchemaVersions (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";
            create.ExecuteNonQuery();
        }

        var current = CurrentVersion(connection);
        if (current > LatestVersion)
        {
            throw new Upgrade.StoreUpgradeException(
                $"The store {connection.DataSource} has schema version {current}, newer than this release knows ({LatestVersion}): it was written by a later release. Start that release (or a later one) on it; this one must not touch it.");
        }

        foreach (var (version, name, sql) in Scripts())
        {
            // BEGIN IMMEDIATE takes the write lock first, so two processes never apply the same script twice.
            using var tx = connection.BeginTransaction(deferred: false);
            using var check = connection.CreateCommand();
            check.Transaction = tx;
            check.CommandText = "SELECT COUNT(*) FROM SchemaVersions WHERE version = $v";
            check.Parameters.AddWithValue("$v", version);
            if (Convert.ToInt64(check.ExecuteScalar(), CultureInfo.InvariantCulture) > 0)
            {
                continue;
            }

            // A script may have a C# step (converting rows) at its "-- @convert" line: the SQL before it, the step, the SQL after it.
            var parts = sql.Split(ConvertMarker, 2, StringSplitOptions.None);
            Execute(connection, tx, parts[0]);
            if (parts.Length == 2)
            {
                ConvertSteps[version](connection, tx);
                Execute(connection, tx, parts[1]);
            }

            using var record = connection.CreateCommand();
            record.Transaction = tx;
            record.CommandText = "INSERT INTO SchemaVersions (version, name, applied_at) VALUES ($v, $n, $t)";
            record.Parameters.AddWithValue("$v", version);
            record.Parameters.AddWithValue("$n", name);
            record.Parameters.AddWithValue("$t", DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture));
            record.ExecuteNonQuery();
            CrashPoints.Reach(CrashPoints.DuringMigration, name);
            tx.Commit();
        }
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction tx, string sql)
    {
        if (string.IsNullOrWhiteSpace(sql))
        {
            return;
        }

        using var apply = connection.CreateCommand();
        apply.Transaction = tx;
        apply.CommandText = sql;
        apply.ExecuteNonQuery();
    }

    public static int CurrentVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM SchemaVersions";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static IEnumerable<(int Version, string Name, string Sql)> Scripts() => Engine.MigrationScripts.Read(Prefix);
}
