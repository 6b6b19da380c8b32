namespace Serverless.DurableTask.Postgres;

/// <summary>Options of the PostgreSQL store.</summary>
public sealed partial class PostgresStoreOptions
{
    /// <summary>Gets or sets the Npgsql connection string (<c>Host=...;Database=...;Username=...;Password=...</c>). Required.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Gets or sets the schema that holds the task hub's tables. Default: derived from the hub name (lower case,
    /// characters other than letters, digits and '_' replaced by '_'). One task hub per schema.
    /// </summary>
    public string? SchemaName { get; set; }

    /// <summary>Gets or sets how many connections the store opens at most. Default is 20.</summary>
    public int MaxPoolSize { get; set; } = 20;

    /// <summary>Gets or sets how many work items one dequeue query leases at most. Default is 16.</summary>
    public int MaxBatchSize { get; set; } = 16;

    /// <summary>
    /// Gets or sets the longest interval of the safety poll. New work wakes the workers through LISTEN/NOTIFY and
    /// due timers at their due time; the poll only covers a lost notification. It starts at a quarter of this and
    /// doubles while idle. Default is 5 seconds.
    /// </summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets a value indicating whether leases and activity results wait for their own WAL flush. Default is
    /// false: they commit with <c>synchronous_commit=off</c> (a lease or an activity result lost with a crashed server's
    /// last moments is offered or run again, as after a host's crash), while steps and client writes always wait for
    /// the flush. True makes every commit wait, at the cost of about three flushes more per activity.
    /// </summary>
    public bool FlushLeaseCommits { get; set; }

    /// <summary>Gets or sets the longest wait between retries while the database is unreachable. Default is 5 seconds.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how long start-up waits for an unreachable database before it fails. Default is 60 seconds.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Derives the default schema name of a hub.</summary>
    public static string SchemaFor(string hubName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hubName);
        var chars = hubName.ToLowerInvariant().Select(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' ? c : '_').ToArray();
        var name = new string(chars);
        if (char.IsDigit(name[0]))
        {
            name = "_" + name;
        }

        return name.Length > 63 ? name[..63] : name;
    }

    /// <summary>The rule every schema name follows: 1 to 63 lower-case letters, digits or '_', not starting with a digit (so it never needs quoting).</summary>
    public const string SchemaNameRule = "1 to 63 lower-case letters, digits or '_', not starting with a digit";

    /// <summary>Tells whether <paramref name="name"/> follows <see cref="SchemaNameRule"/>.</summary>
    public static bool IsValidSchemaName(string name) => SchemaNamePattern().IsMatch(name);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex SchemaNamePattern();
}
