using System.Globalization;
using Microsoft.AspNetCore.Http;
using Serverless.DurableTask;

namespace Serverless.Functions.Http;

/// <summary>
/// The host's answer to a request the store could not take because it is unavailable (<see cref="StoreFaults"/>: the
/// SQLite storage full, read-only or failing, or the PostgreSQL database unreachable): <c>503</c> with <c>Retry-After</c>.
/// Nothing was written, so the same request succeeds once the store is back.
/// HTTP functions get it as problem+json from the host; pages of the app use the same test and header.
/// </summary>
public static class StoreUnavailableAnswer
{
    /// <summary>How long a client is asked to wait (the store retries its own waiting work every second).</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>Whether <paramref name="exception"/> (or what it wraps) says the store is unavailable.</summary>
    public static bool Matches(Exception? exception) => StoreFaults.IsUnavailable(exception);

    /// <summary>The detail of the problem: the log names the file or the database and the cause, the caller learns only that it can try again.</summary>
    public static string DetailFor(Exception exception) => StoreFaults.IsUnreachable(exception)
        ? "The hub cannot reach its database right now. Nothing was saved; try again in a moment."
        : "The hub cannot save right now: its storage is full or read-only. Nothing was saved; try again in a moment.";

    /// <summary>Sets <c>Retry-After</c> (in seconds) on <paramref name="response"/>.</summary>
    public static void AddRetryAfter(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.RetryAfter = ((int)RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
    }
}
