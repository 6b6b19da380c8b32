using CompanyHub.Entities;
using Microsoft.Extensions.Caching.Memory;

namespace CompanyHub.Functions;

/// <summary>What Google said about a sign-in, the refresh token sealed: all the callback needs once the code is exchanged.</summary>
public sealed record GoogleSignIn(string Email, bool EmailVerified, string? Name, string? SealedRefreshToken, IReadOnlyList<string>? Scopes = null, string? Subject = null);

/// <summary>
/// Google sign-ins whose result the store could not take (disk full, read-only). Google's code is spent by then, so the
/// result is kept in memory until its attempt expires, and the browser's retry of the same callback (with the same
/// cookie) finishes the sign-in without going to Google again. Only the sealed refresh token is held. Per process: after
/// a restart, or on another replica, the retry finds the attempt used, and the person starts again from the invite,
/// which is still open.
/// </summary>
public sealed class UnsavedSignIns(IMemoryCache cache)
{
    public void Keep(string stateId, OAuthAttempt attempt, GoogleSignIn signIn) => cache.Set(Key(stateId), new Kept(attempt, signIn), attempt.ExpiresAt);

    public Kept? Find(string stateId) => cache.TryGetValue(Key(stateId), out Kept? kept) ? kept : null;

    public void Forget(string stateId) => cache.Remove(Key(stateId));

    private static string Key(string stateId) => "unsaved-sign-in:" + stateId;

    /// <summary>The attempt (already used) and Google's answer for it.</summary>
    public sealed record Kept(OAuthAttempt Attempt, GoogleSignIn SignIn);
}
