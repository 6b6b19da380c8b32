namespace Serverless.DurableTask.Sqlite;

/// <summary>How SQLite flushes commits to disk.</summary>
public enum SqliteSynchronousMode
{
    /// <summary>Every commit is flushed before it is acknowledged: a committed step survives a power loss. The default.</summary>
    Full,

    /// <summary>Commits are flushed at checkpoints: a crash of the process loses nothing, a power loss may lose the last commits (never corrupts).</summary>
    Normal,
}

/// <summary>Options of the SQLite store.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>Gets or sets the database file. Default is <c>.data/&lt;hub&gt;.db</c>.</summary>
    public string? DatabasePath { get; set; }

    /// <summary>Gets or sets the flush mode. Default is <see cref="SqliteSynchronousMode.Full"/>.</summary>
    public SqliteSynchronousMode Synchronous { get; set; } = SqliteSynchronousMode.Full;

    /// <summary>Gets or sets how long a statement waits for a locked database. Default is 5 seconds.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets whether the store takes an exclusive lock file beside the database, so that a second host
    /// cannot use the same file. Default is true. With the lock held, leases left by a crashed process are void at start-up.
    /// </summary>
    public bool ExclusiveLock { get; set; } = true;

    /// <summary>Gets or sets how many write requests one transaction commits at most (group commit). Default is 512.</summary>
    public int MaxBatchSize { get; set; } = 512;
}
