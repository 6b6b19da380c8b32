using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace CompanyHub.Security;

/// <summary>
/// An allowance of requests per key — a client address for anonymous requests, a person for the requests that cost
/// money — over System.Threading.RateLimiting's partitioned limiter. One instance per kind for the whole host: HTTP
/// function classes are created per request, so a limiter held by one would start empty every time.
/// </summary>
public class RequestLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    /// <summary>Initializes a new instance of the <see cref="RequestLimiter"/> class with each key's limiter made by <paramref name="partition"/>.</summary>
    public RequestLimiter(Func<string, RateLimitPartition<string>> partition)
    {
        ArgumentNullException.ThrowIfNull(partition);
        _limiter = PartitionedRateLimiter.Create(partition);
    }

    /// <summary>
    /// A fixed window per key. The limit and window are read when a key's window is created, so tests can change them
    /// between hubs.
    /// </summary>
    public static Func<string, RateLimitPartition<string>> FixedWindow(Func<int> permitLimit, Func<TimeSpan> window)
    {
        ArgumentNullException.ThrowIfNull(permitLimit);
        ArgumentNullException.ThrowIfNull(window);
        return key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions { PermitLimit = permitLimit(), Window = window(), QueueLimit = 0 });
    }

    /// <summary>
    /// A token bucket per key: a burst of <see cref="RateLimit.PermitLimit"/> requests, then one more every
    /// <see cref="RateLimit.Window"/> / <see cref="RateLimit.PermitLimit"/> — at most the limit per window, sustained.
    /// </summary>
    public static Func<string, RateLimitPartition<string>> TokenBucket(RateLimit limit)
    {
        ArgumentNullException.ThrowIfNull(limit);
        return key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit.PermitLimit,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = limit.Window / limit.PermitLimit,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    /// <summary>Takes one request from the key's allowance; false when it is used up, with how long until the next one.</summary>
    public bool TryAcquire(string key, out TimeSpan retryAfter)
    {
        using var lease = _limiter.AttemptAcquire(key);
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.Zero;
        return lease.IsAcquired;
    }

    /// <summary>Tells a limited client when to try again: <c>Retry-After</c> in whole seconds, at least one.</summary>
    public static void SetRetryAfter(HttpResponse response, TimeSpan wait)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.RetryAfter = Seconds(wait).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A wait in whole seconds, rounded up, at least one: what <c>Retry-After</c> says.</summary>
    public static long Seconds(TimeSpan wait) => Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _limiter.Dispose();
        }
    }
}
