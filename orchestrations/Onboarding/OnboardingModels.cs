namespace CompanyHub.Orchestrations.Onboarding;

/// <summary>The steps an onboarding goes through; the custom status shows the current one.</summary>
public static class OnboardingSteps
{
    public const string Validating = "Validating";
    public const string InviteSent = "InviteSent";
    public const string AwaitingOAuth = "AwaitingOAuth";
    public const string CreatingAgent = "CreatingAgent";
    public const string Active = "Active";
    public const string Expired = "Expired";
    public const string Cancelled = "Cancelled";
    public const string FailedPrefix = "Failed: ";
}

/// <summary>Who started an onboarding.</summary>
public static class InitiatedBy
{
    public const string User = "user";
    public const string Admin = "admin";
}

/// <summary>The input of an onboarding.</summary>
public sealed record OnboardingRequest(string Email, string Name, string InitiatedBy, string RequestedBy);

/// <summary>What the validation activity decided.</summary>
public sealed record OnboardingPlan(string? AgentId, string? Error, DateTimeOffset ExpiresAt);

/// <summary>A fresh invite: the code sealed (history never holds it in the clear) and the hash that indexes it.</summary>
public sealed record InviteCreated(string SealedCode, string CodeHash);

/// <summary>The <c>OAuthCompleted</c> event: who signed in, and their sealed Google refresh token (none for the development sign-in).</summary>
public sealed record OAuthCompleted(string Email, bool EmailVerified, string? SealedRefreshToken, string? DisplayName, bool DevSignIn = false,
    IReadOnlyList<string>? GoogleScopes = null, string? GoogleSubject = null)
{
    public const string EventName = "OAuthCompleted";
}

/// <summary>The <c>Resend</c> event (admin): a new expiry and the invite goes out again.</summary>
public sealed record ResendInvite(DateTimeOffset ExpiresAt)
{
    public const string EventName = "Resend";
}

/// <summary>The <c>Cancel</c> event (admin).</summary>
public sealed record CancelOnboarding(string? Reason)
{
    public const string EventName = "Cancel";
}

/// <summary>The onboarding's custom status and output: where the person is.</summary>
public sealed record OnboardingStatus
{
    public required string Step { get; init; }

    public required string Email { get; init; }

    public required string Name { get; init; }

    public required string InitiatedBy { get; init; }

    public string? AgentId { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Gets the sealed invite code (the hub opens it to show the link to the requester or the admin).</summary>
    public string? SealedInvite { get; init; }

    /// <summary>Gets the sealed user token, once minted (shown once on the OAuth result page).</summary>
    public string? SealedToken { get; init; }

    /// <summary>Gets what the admin or the person should know about the current step.</summary>
    public string? Message { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}
