using System.Threading.RateLimiting;

namespace CompanyHub.Security;

/// <summary>
/// Limits anonymous attestation requests per client address: each one makes the TEE produce a quote. One instance for
/// the whole host, like <see cref="OnboardingRequestLimiter"/>.
/// </summary>
public sealed class AttestationRequestLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions { PermitLimit = PermitLimit, Window = Window, QueueLimit = 0 }));

    /// <summary>Gets or sets how many attestations one address may ask for per <see cref="Window"/>. Default is 30.</summary>
    public static int PermitLimit { get; set; } = 30;

    /// <summary>Gets or sets the window of <see cref="PermitLimit"/>. Default is one minute.</summary>
    public static TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Takes one request from the address's allowance; false when it is used up.</summary>
    public bool TryAcquire(string address)
    {
        using var lease = _limiter.AttemptAcquire(address);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
