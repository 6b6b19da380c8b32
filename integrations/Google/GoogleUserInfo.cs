namespace CompanyHub.Integrations.Google;

/// <summary>The OpenID Connect userinfo of the person who signed in.</summary>
/// <param name="Subject">Google's stable account id (<c>sub</c>).</param>
/// <param name="Email">The account's email address.</param>
/// <param name="EmailVerified">Whether Google verified the address; onboarding must refuse an unverified one.</param>
/// <param name="Name">The display name, when the profile scope was granted.</param>
/// <param name="HostedDomain">The Workspace domain (<c>hd</c>), when the account belongs to one.</param>
public sealed record GoogleUserInfo(string Subject, string Email, bool EmailVerified, string? Name, string? HostedDomain);
