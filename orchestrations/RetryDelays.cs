namespace CompanyHub.Orchestrations;

/// <summary>How long an orchestration waits (on a durable timer) before trying an outside call again.</summary>
public static class RetryDelays
{
    /// <summary>
    /// After the <paramref name="attempt"/>-th failure: 1, 2, 4, ... seconds (at most a minute), or the wait the service
    /// asked for (at most an hour) when that is longer.
    /// </summary>
    public static TimeSpan After(int attempt, double? retryAfterSeconds)
    {
        var backoff = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, attempt - 1)));
        var asked = retryAfterSeconds is { } s ? TimeSpan.FromSeconds(Math.Clamp(s, 0, 3600)) : TimeSpan.Zero;
        return asked > backoff ? asked : backoff;
    }
}
