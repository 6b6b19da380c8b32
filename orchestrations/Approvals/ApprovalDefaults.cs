namespace CompanyHub.Orchestrations.Approvals;

/// <summary>Defaults of the approval flow.</summary>
public static class ApprovalDefaults
{
    /// <summary>Gets or sets how long a proposal waits for a decision. Default is 7 days (setting Approvals:ExpiryDays).</summary>
    public static TimeSpan Expiry { get; set; } = TimeSpan.FromDays(7);
}
