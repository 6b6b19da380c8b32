using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Serverless.Functions;

namespace CompanyHub.Security;

/// <summary>The requests of a person that are limited: each costs LLM money or creates work someone has to decide on.</summary>
public enum PersonLimit
{
    /// <summary>A chat message to an agent (<c>POST /api/agents/{id}/messages</c>): an agent turn, LLM calls.</summary>
    Chat,

    /// <summary>A proposal composed through the API (<c>POST /api/agents/{id}/proposals</c>): a workflow waiting for a decision.</summary>
    Proposals,

    /// <summary>A decision on a proposal, on its card or in chat ("approved"): it runs a write in the person's name.</summary>
    Decisions,
}

/// <summary><see cref="PermitLimit"/> requests per <see cref="Window"/>.</summary>
public sealed record RateLimit(int PermitLimit, TimeSpan Window)
{
    /// <summary>How the limit reads in an answer: "30 per 60 seconds".</summary>
    public override string ToString() => $"{PermitLimit} per {Window.TotalSeconds:0} seconds";
}

/// <summary>
/// Each person's allowance of chat messages, proposals and decisions (<see cref="HubOptions.PersonLimits"/>), keyed by
/// the person — their agent id — never by the client address: behind a gateway everyone shares one address. A token
/// bucket per person and kind: a burst of the limit, then one more every window / limit. The admin is not limited.
/// One instance for the whole hub; with several replicas each keeps its own count.
/// </summary>
public sealed class PersonLimits : IDisposable
{
    private readonly Dictionary<PersonLimit, (RateLimit Limit, RequestLimiter Limiter)> _limiters;

    public PersonLimits(IOptions<HubOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _limiters = options.Value.PersonLimits.ToDictionary(l => l.Key, l => (l.Value, new RequestLimiter(RequestLimiter.TokenBucket(l.Value))));
    }

    /// <summary>
    /// Takes one request of <paramref name="kind"/> from the caller's allowance: true when it may go on (always for the
    /// admin); false when the allowance is used up, with the limit and how long until the next request is allowed.
    /// </summary>
    public bool TryAcquire(Caller caller, PersonLimit kind, out RateLimit limit, out TimeSpan retryAfter)
    {
        ArgumentNullException.ThrowIfNull(caller);
        (limit, var limiter) = _limiters[kind];
        retryAfter = TimeSpan.Zero;
        return caller.IsAdmin || limiter.TryAcquire(caller.AgentId!, out retryAfter);
    }

    /// <summary>The most requests a limit may allow per window.</summary>
    public const int MaxPermitLimit = 1_000_000;

    /// <summary>The longest window, in seconds (a day).</summary>
    public const int MaxWindowSeconds = 86_400;

    /// <summary>
    /// Reads <c>RateLimits:&lt;kind&gt;:PermitLimit</c> (1 to <see cref="MaxPermitLimit"/>) and
    /// <c>RateLimits:&lt;kind&gt;:WindowSeconds</c> (1 to <see cref="MaxWindowSeconds"/>) for each kind; an unset value keeps
    /// its default (<see cref="HubOptions.DefaultPersonLimits"/>).
    /// </summary>
    /// <exception cref="FunctionsConfigurationException">A value is not a whole number in its range.</exception>
    public static IReadOnlyDictionary<PersonLimit, RateLimit> Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return HubOptions.DefaultPersonLimits.ToDictionary(d => d.Key, d =>
        {
            var section = $"RateLimits:{d.Key}";
            var permits = Whole(configuration, $"{section}:PermitLimit", d.Value.PermitLimit, MaxPermitLimit, $"how many {Describe(d.Key)} one person may make per {section}:WindowSeconds");
            var seconds = Whole(configuration, $"{section}:WindowSeconds", (int)d.Value.Window.TotalSeconds, MaxWindowSeconds, $"the window of {section}:PermitLimit, in seconds");
            return new RateLimit(permits, TimeSpan.FromSeconds(seconds));
        });
    }

    /// <summary>What requests of a kind are called in messages: "chat messages".</summary>
    public static string Describe(PersonLimit kind) => kind switch
    {
        PersonLimit.Chat => "chat messages",
        PersonLimit.Proposals => "proposals",
        _ => "decisions on proposals",
    };

    public void Dispose()
    {
        foreach (var (_, limiter) in _limiters.Values)
        {
            limiter.Dispose();
        }
    }

    private static int Whole(IConfiguration configuration, string setting, int fallback, int max, string meaning)
    {
        var value = configuration[setting];
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        return int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed is >= 1 && parsed <= max
            ? parsed
            : throw new FunctionsConfigurationException(setting, $"'{value}' is not a whole number from 1 to {max} ({meaning}; default {fallback}).");
    }
}
