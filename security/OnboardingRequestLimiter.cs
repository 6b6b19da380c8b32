namespace CompanyHub.Security;

/// <summary>Limits anonymous self-service onboarding requests per client address.</summary>
public sealed class OnboardingRequestLimiter() : RequestLimiter(FixedWindow(() => PermitLimit, () => Window))
{
    /// <summary>Gets or sets how many requests one address may make per <see cref="Window"/>. Default is 10.</summary>
    public static int PermitLimit { get; set; } = 10;

    /// <summary>Gets or sets the window of <see cref="PermitLimit"/>. Default is one hour.</summary>
    public static TimeSpan Window { get; set; } = TimeSpan.FromHours(1);
}
