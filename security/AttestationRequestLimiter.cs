namespace CompanyHub.Security;

/// <summary>Limits anonymous attestation requests per client address: each one makes the TEE produce a quote.</summary>
public sealed class AttestationRequestLimiter() : RequestLimiter(FixedWindow(() => PermitLimit, () => Window))
{
    /// <summary>Gets or sets how many attestations one address may ask for per <see cref="Window"/>. Default is 30.</summary>
    public static int PermitLimit { get; set; } = 30;

    /// <summary>Gets or sets the window of <see cref="PermitLimit"/>. Default is one minute.</summary>
    public static TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}
