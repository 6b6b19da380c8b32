using System.Globalization;
using Npgsql;

namespace Serverless.DurableTask.Postgres;

/// <summary>
/// Applies the embedded, versioned schema scripts (<c>Migrations/NNNN_name.sql</c>) to the hub's schema, in one
/// transaction that first takes a transaction-scoped advisory lock on the schema: hosts starting at once queue
/// behind it, and the second one finds the scripts applied.
/// </summary>
internal static class PostgresMigrations
{
    private const string Prefix = "Serverless.Postgres.Migrations.";

    private const string ConvertMarker = "-- @convert";

    /// <summary>The C# steps of the scripts that have one, by version (run between the two halves of the script, in the same transaction).</summary>
    private static readonly Dictionary<int, Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task>> ConvertSteps = new()
    {
        [3] = Upgrade.PostgresHistoryUpgrade.ConvertAsync,
    };

    public static int LatestVersion => Scripts().Select(s => s.Version).DefaultIfEmpty(0).Max();

    public static async Task ApplyAsync(NpgsqlConnection connection, string schema, CancellationToken cancellationToken)
    {
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var setup = new NpgsqlCommand(
            $"""
            SELECT pg_advisory_xact_lock(hashtextextended('serverless-durabletask-migrations:' || @schema, 0));
            CREATE SCHEMA IF NOT EXISTS "{schema}";
            SET LOCAL search_path TO "{schema}";
            CREATE TABLE IF NOT EXISTS schema_versions (version integer NOT NULL PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL);
            """,
            connection,
            tx))
        {
            setup.Parameters.AddWithValue("schema", schema);
            await setup.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var applied = new HashSet<int>();
        await using (var read = new NpgsqlCommand("SELECT version FROM schema_versions", connection, tx))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        if (applied.Count > 0 && applied.Max() > LatestVersion)
        {
            throw new Upgrade.StoreUpgradeException(
                $"The schema \"{schema}\" has version {applied.Max()}, newer than this release knows ({LatestVersion}): it was written by a later release. Start that release (or a later one) on it; this one must not touch it.");
        }

        foreach (var (version, name, sql) in Scripts().Where(s => !applied.Contains(s.Version)))
        {
            var parts = sql.Split(ConvertMarker, 2, StringSplitOptions.None);
            await using (var apply = new NpgsqlCommand(parts[0], connection, tx))
            {
                await apply.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (parts.Length == 2)
            {
                await ConvertSteps[version](connection, tx, cancellationToken).ConfigureAwait(false);
                await using var rest = new NpgsqlCommand(parts[1], connection, tx);
                await rest.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using var record = new NpgsqlCommand("INSERT INTO schema_versions (version, name, applied_at) VALUES (@v, @n, now())", connection, tx);
            record.Parameters.AddWithValue("v", version);
            record.Parameters.AddWithValue("n", name);
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            CrashPoints.Reach(CrashPoints.DuringMigration, name);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gets the schema's version, 0 when it has none yet.</summary>
    public static async Task<int> CurrentVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT CASE WHEN to_regclass('schema_versions') IS NULL THEN 0 ELSE (SELECT COALESCE(MAX(version), 0) FROM schema_versions) END", connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private static IEnumerable<(int Version, string Name, string Sql)> Scripts() => Engine.MigrationScripts.Read(Prefix);
}
