using System.Diagnostics;
using System.Globalization;

namespace Serverless.DurableTask;

/// <summary>
/// Fault injection for crash tests: named points in the code where the process can be killed on purpose.
/// Off unless the <c>HUB_CRASH_POINT</c> environment variable names a point; production deployments never set it.
/// </summary>
/// <remarks>
/// The variable holds <c>name</c> (kill the first time the point is reached) or <c>name@N</c> (kill the N-th time),
/// optionally narrowed to one site of the point: <c>name:site</c> or <c>name:site@N</c> counts only the times the point
/// is reached at that site (an activity's name for <c>activity.ran-before-commit</c>; the orchestration or entity name,
/// or the name of an activity the step scheduled, for <c>step.committed-before-delivery</c>).
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

    private static readonly Arming? Armed = Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));
    private static int _reached;

    /// <summary>Gets whether any crash point is armed in this process.</summary>
    public static bool Enabled => Armed is not null;

    /// <summary>Kills the process if <paramref name="name"/> is the armed point and this is the armed occurrence.</summary>
    public static void Reach(string name) => Reach(name, []);

    /// <summary>
    /// Kills the process if <paramref name="name"/> is the armed point, the arming names no site or one of
    /// <paramref name="sites"/>, and this is the armed occurrence. One call counts as one occurrence.
    /// </summary>
    public static void Reach(string name, params ReadOnlySpan<string> sites)
    {
        if (Armed is not { } armed || !string.Equals(armed.Name, name, StringComparison.Ordinal))
        {
            return;
        }

        if (armed.Site is { } site && !sites.Contains(site))
        {
            return;
        }

        if (Interlocked.Increment(ref _reached) != armed.Count)
        {
            return;
        }

        var at = armed.Site is null ? "" : $" at '{armed.Site}'";
        Console.Error.WriteLine($"crash point '{name}' reached{at} (occurrence {armed.Count}); killing the process");
        Console.Error.Flush();
        Process.GetCurrentProcess().Kill();
        Thread.Sleep(Timeout.Infinite);
    }

    private static Arming? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var count = 1;
        var at = value.LastIndexOf('@');
        if (at >= 0)
        {
            if (!int.TryParse(value.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out count) || count <= 0)
            {
                throw new InvalidOperationException($"{EnvironmentVariable} must be 'name', 'name:site', 'name@N' or 'name:site@N' with N a positive number.");
            }

            value = value[..at];
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        return colon < 0
            ? new Arming(value.Trim(), null, count)
            : new Arming(value[..colon].Trim(), value[(colon + 1)..].Trim(), count);
    }

    private sealed record Arming(string Name, string? Site, int Count);
}
