namespace CompanyHub.Orchestrations.Approvals;

/// <summary>Settings of the approval flow, per hub (section <c>Approvals</c>).</summary>
public sealed class ApprovalOptions
{
    /// <summary>Gets or sets how long a proposal waits for a decision. Default is 7 days (setting <c>Approvals:ExpiryDays</c>).</summary>
    public TimeSpan Expiry { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Gets or sets how long a decision request waits to learn whether its decision was the one applied. Default is 10 seconds.</summary>
    public TimeSpan DecisionWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how long an email that a grant approved is held, cancellable, before it goes. Default is 30 seconds (setting <c>Grants:UndoSeconds</c>; 0 sends at once).</summary>
    public TimeSpan GrantUndoWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long the inverse of a Notion or Attio change that a grant approved can be applied from the card.
    /// Default is 24 hours (setting <c>Grants:InverseHours</c>).
    /// </summary>
    public TimeSpan GrantInverseWindow { get; set; } = TimeSpan.FromHours(24);
}
