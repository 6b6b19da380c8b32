using System.Threading.RateLimiting;
using CompanyHub.Entities;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Security;

/// <summary>Where a request's credential came from; cookie credentials need the same-origin check on writes.</summary>
public enum CredentialSource
{
    None,
    Bearer,
    Cookie,
    FunctionsKey,
}

/// <summary>The outcome of reading a request's credential.</summary>
public sealed record Authentication(Caller? Caller, CredentialSource Source, bool Presented);

/// <summary>
/// Turns a bearer token, the session cookie or the functions key into a <see cref="Caller"/>. User tokens are looked
/// up by their SHA-256 in the directory (cached for a second; rotation and offboarding invalidate it at once).
/// Failed attempts count against the client address.
/// </summary>
public sealed class TokenAuthenticator : IDisposable
{
    public const string CookieName = "hub_token";
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(1);
    private readonly KeyRing _keys;
    private readonly DurableTaskClient _client;
    private readonly PartitionedRateLimiter<string> _failures;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile DirectoryState? _directory;
    private DateTime _directoryAt;
    private long _generation;

    public TokenAuthenticator(KeyRing keys, DurableTaskClient client)
    {
        _keys = keys;
        _client = client;
        _failures = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetSlidingWindowLimiter(address, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = MaxFailures,
            Window = FailureWindow,
            SegmentsPerWindow = 5,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    public static int MaxFailures { get; set; } = 20;

    public static TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Tells a limited client when to try again: the length of the failure window.</summary>
    public static void AddRetryAfter(HttpResponse response) => RequestLimiter.SetRetryAfter(response, FailureWindow);

    public async Task<Authentication> AuthenticateAsync(HttpContext context)
    {
        var (token, source) = ReadCredential(context.Request);
        if (token is null)
        {
            return new Authentication(null, CredentialSource.None, Presented: false);
        }

        var caller = await ResolveAsync(token, allowUser: source != CredentialSource.FunctionsKey, context.RequestAborted).ConfigureAwait(false);
        return new Authentication(caller, source, Presented: true);
    }

    /// <summary>The SHA-256 of the user token a request presented (as the directory keeps it), or null when it presented none.</summary>
    public static string? PresentedTokenHash(HttpRequest request) =>
        ReadCredential(request) is ({ } token, not CredentialSource.FunctionsKey) ? UserTokens.Hash(token) : null;

    /// <summary>The token a request presents and where: the bearer header, else the functions key header, else the session cookie.</summary>
    private static (string? Token, CredentialSource Source) ReadCredential(HttpRequest request)
    {
        string? token = null;
        var source = CredentialSource.None;
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = header["Bearer ".Length..].Trim();
            source = CredentialSource.Bearer;
        }
        // In the functions key header only: a query string ends up in logs and histories, so `?code=` carries the host
        // key alone (Durable Functions' convention), never the admin token.
        else if (request.Headers["x-functions-key"].FirstOrDefault() is { Length: > 0 } key)
        {
            token = key;
            source = CredentialSource.FunctionsKey;
        }
        else if (request.Cookies.TryGetValue(CookieName, out var cookie) && cookie.Length > 0)
        {
            token = cookie;
            source = CredentialSource.Cookie;
        }

        return (token, source);
    }

    /// <summary>Resolves a token to its caller, or null.</summary>
    public async Task<Caller?> ResolveAsync(string token, bool allowUser, CancellationToken cancellationToken)
    {
        if (UserTokens.FixedTimeEquals(token, _keys.AdminToken))
        {
            return Caller.Admin;
        }

        if (!allowUser || !UserTokens.LooksLikeToken(token))
        {
            return null;
        }

        var hash = UserTokens.Hash(token);
        var directory = await DirectoryAsync(fresh: false, cancellationToken).ConfigureAwait(false);
        if (directory.FindByTokenHash(hash) is { } agentId)
        {
            return Caller.User(agentId);
        }

        // A token minted a moment ago (onboarding just completed) is not in the cached copy yet: look once more in
        // the store before refusing it. Misses are rate-limited per address, so this cannot be used to load the store.
        directory = await DirectoryAsync(fresh: true, cancellationToken).ConfigureAwait(false);
        return directory.FindByTokenHash(hash) is { } found ? Caller.User(found) : null;
    }

    /// <summary>Whether the address has used up its failed attempts.</summary>
    public bool IsLockedOut(string address) => _failures.GetStatistics(address)?.CurrentAvailablePermits <= 0;

    /// <summary>Counts a failed attempt for the address.</summary>
    public void RecordFailure(string address)
    {
        using var lease = _failures.AttemptAcquire(address);
    }

    /// <summary>Drops the cached directory, so that a rotation or an offboarding takes effect on the next request.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _directory = null;
    }

    public void Dispose()
    {
        _failures.Dispose();
        _refresh.Dispose();
    }

    public static string AddressOf(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private async Task<DirectoryState> DirectoryAsync(bool fresh, CancellationToken cancellationToken)
    {
        var cached = _directory;
        if (!fresh && cached is not null && DateTime.UtcNow - _directoryAt < CacheLifetime)
        {
            return cached;
        }

        var requestedAt = DateTime.UtcNow;
        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Someone else read the store while this caller waited: that copy is as fresh as this caller needs.
            if (_directory is { } current && (fresh ? _directoryAt >= requestedAt : DateTime.UtcNow - _directoryAt < CacheLifetime))
            {
                return current;
            }

            var readAt = DateTime.UtcNow;
            var generation = Interlocked.Read(ref _generation);
            var entity = await _client.Entities.GetEntityAsync<DirectoryState>(DirectoryEntity.Id, cancellationToken).ConfigureAwait(false);
            var state = entity?.State ?? new DirectoryState();

            // A rotation or offboarding during the read may not be in this copy: use it for this request only.
            if (Interlocked.Read(ref _generation) == generation)
            {
                _directory = state;
                _directoryAt = readAt;
            }

            return state;
        }
        finally
        {
            _refresh.Release();
        }
    }
}
