using System.Globalization;
using Microsoft.AspNetCore.Http;
using Serverless.DurableTask.Sqlite;

namespace Serverless.Functions.Http;

/// <summary>
/// The host's answer to a request whose write the store could not take for the storage's sake (disk full, read-only,
/// an I/O error — <see cref="Serverless.DurableTask.StoreUnavailableException"/> and the SQLite faults underneath):
/// <c>503</c> with <c>Retry-After</c>. Nothing was written, so the same request succeeds once the storage is back.
/// HTTP functions get it as problem+json from the host; pages of the app use the same test and header.
/// </summary>
public static class StoreUnavailableAnswer
{
    /// <summary>How long a client is asked to wait (the store retries its own waiting work every second).</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>The detail of the problem: the log names the file and the cause, the caller learns only that it can try again.</summary>
    public const string Detail = "The hub cannot save right now: its storage is full or read-only. Nothing was saved; try again in a moment.";

    /// <summary>Whether <paramref name="exception"/> (or what it wraps) says the store cannot write for the storage's sake.</summary>
    public static bool Matches(Exception? exception) => SqliteFaults.IsStorageFault(exception);

    /// <summary>Sets <c>Retry-After</c> (in seconds) on <paramref name="response"/>.</summary>
    public static void AddRetryAfter(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.RetryAfter = ((int)RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
    }
}
