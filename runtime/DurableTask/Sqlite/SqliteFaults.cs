using Microsoft.Data.Sqlite;

namespace Serverless.DurableTask.Sqlite;

/// <summary>Sorts SQLite errors into faults of the storage underneath (disk full, read-only, I/O, damage) and the rest.</summary>
public static class SqliteFaults
{
    private const int ReadOnly = 8;
    private const int IoError = 10;
    private const int Corrupt = 11;
    private const int Full = 13;
    private const int CantOpen = 14;
    private const int NotADatabase = 26;
    private const long QuickCheckLimit = 256L * 1024 * 1024;

    /// <summary>What is wrong with the storage of <paramref name="path"/> and what to do, or null when <paramref name="exception"/> is not a storage fault.</summary>
    public static string? Describe(Exception exception, string path) => exception is SqliteException e ? (e.SqliteErrorCode & 0xFF) switch
    {
        Full => $"the disk holding '{path}' is full; free space there and the hub resumes by itself",
        ReadOnly => $"'{path}' or its directory is read-only; make them writable again and the hub resumes by itself",
        IoError => $"an I/O error while writing '{path}' ({e.Message}); check the disk",
        CantOpen => $"'{path}' or its journal cannot be opened ({e.Message}); check that the directory exists and is writable",
        _ => null,
    } : null;

    /// <summary>Whether <paramref name="exception"/> says the file is not a database or is damaged.</summary>
    public static bool IsCorruption(Exception exception) => exception is SqliteException e && (e.SqliteErrorCode & 0xFF) is Corrupt or NotADatabase;

    /// <summary>
    /// Opens <paramref name="path"/> (when it exists) and reads its schema and a quick integrity check; throws
    /// <see cref="StoreCorruptException"/> naming the file when SQLite finds it is not a database or is damaged.
    /// </summary>
    public static void ThrowIfCorrupt(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists || file.Length == 0)
        {
            return;
        }

        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            // The whole-file check reads every page: below the cap it costs well under a second; above, the schema is read.
            command.CommandText = file.Length <= QuickCheckLimit ? "PRAGMA quick_check(1)" : "SELECT 'ok' FROM (SELECT COUNT(*) FROM sqlite_master)";
            var result = command.ExecuteScalar() as string;
            if (!string.Equals(result, "ok", StringComparison.OrdinalIgnoreCase))
            {
                throw new StoreCorruptException(path, $"SQLite's integrity check says: {result}");
            }
        }
        catch (SqliteException ex) when (IsCorruption(ex))
        {
            throw new StoreCorruptException(path, ex.SqliteErrorCode == NotADatabase ? "it is not a SQLite database" : $"SQLite: {ex.Message}", ex);
        }
    }
}
