using System.Threading.RateLimiting;

namespace CompanyHub.Security;

/// <summary>
/// A fixed-window allowance of anonymous requests per client address. One instance per kind for the whole host: HTTP
/// function classes are created per request, so a limiter held by one would start empty every time. The limit and
/// window are read when an address's window is created, so tests can change them between hubs.
/// </summary>
public abstract class PerAddressLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    protected PerAddressLimiter(Func<int> permitLimit, Func<TimeSpan> window)
    {
        ArgumentNullException.ThrowIfNull(permitLimit);
        ArgumentNullException.ThrowIfNull(window);
        _limiter = PartitionedRateLimiter.Create<string, string>(address =>
            RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions { PermitLimit = permitLimit(), Window = window(), QueueLimit = 0 }));
    }

    /// <summary>Takes one request from the address's allowance; false when it is used up.</summary>
    public bool TryAcquire(string address)
    {
        using var lease = _limiter.AttemptAcquire(address);
        return lease.IsAcquired;
    }

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
