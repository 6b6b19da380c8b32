using System.Diagnostics;
using System.Globalization;

namespace Serverless.DurableTask;

/// <summary>
/// Fault injection for crash tests: named points in the code where the process can be killed on purpose.
/// Off unless the <c>HUB_CRASH_POINT</c> environment variable names a point; production deployments never set it.
/// </summary>
/// <remarks>
/// The variable holds <c>name</c> (kill the first time the point is reached) or <c>name@N</c> (kill the N-th time).
/// The kill is a SIGKILL of the own process: no finally blocks, no flushing, exactly what a power cut or an
/// out-of-memory kill leaves behind. A line naming the point goes to stderr first so a test can tell the kill
/// was the injected one.
/// </remarks>
public static class CrashPoints
{
    /// <summary>The environment variable that arms a crash point.</summary>
    public const string EnvironmentVariable = "HUB_CRASH_POINT";

    /// <summary>After an activity ran, before its result is committed.</summary>
    public const string AfterActivityBeforeCommit = "activity.ran-before-commit";

    /// <summary>After a step committed, before its messages are handed to the ready queues.</summary>
    public const string AfterCommitBeforeDelivery = "step.committed-before-delivery";

    /// <summary>Inside a schema migration's transaction, before it commits.</summary>
    public const string DuringMigration = "store.migration";

    /// <summary>While a backup snapshot is being uploaded.</summary>
    public const string DuringSnapshotUpload = "backup.upload";

    private static readonly (string Name, int Count)? Armed = Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));
    private static int _reached;

    /// <summary>Gets whether any crash point is armed in this process.</summary>
    public static bool Enabled => Armed is not null;

    /// <summary>Kills the process if <paramref name="name"/> is the armed point and this is the armed occurrence.</summary>
    public static void Reach(string name)
    {
        if (Armed is not { } armed || !string.Equals(armed.Name, name, StringComparison.Ordinal))
        {
            return;
        }

        if (Interlocked.Increment(ref _reached) != armed.Count)
        {
            return;
        }

        Console.Error.WriteLine($"crash point '{name}' reached (occurrence {armed.Count}); killing the process");
        Console.Error.Flush();
        Process.GetCurrentProcess().Kill();
        Thread.Sleep(Timeout.Infinite);
    }

    private static (string, int)? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var at = value.LastIndexOf('@');
        if (at < 0)
        {
            return (value.Trim(), 1);
        }

        return int.TryParse(value.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0
            ? (value[..at].Trim(), count)
            : throw new InvalidOperationException($"{EnvironmentVariable} must be 'name' or 'name@N' with N a positive number.");
    }
}
