using System.Threading.RateLimiting;

namespace CompanyHub.Security;

/// <summary>
/// Limits anonymous self-service onboarding requests per client address. One instance for the whole host: HTTP
/// function classes are created per request, so a limiter held by one would start empty every time.
/// </summary>
public sealed class OnboardingRequestLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions { PermitLimit = PermitLimit, Window = Window, QueueLimit = 0 }));

    /// <summary>Gets or sets how many requests one address may make per <see cref="Window"/>. Default is 10.</summary>
    public static int PermitLimit { get; set; } = 10;

    /// <summary>Gets or sets the window of <see cref="PermitLimit"/>. Default is one hour.</summary>
    public static TimeSpan Window { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Takes one request from the address's allowance; false when it is used up.</summary>
    public bool TryAcquire(string address)
    {
        using var lease = _limiter.AttemptAcquire(address);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
