namespace Serverless.Runtime.Tests;

/// <summary>Wall-clock helpers for tests that filter by creation time.</summary>
internal static class Clock
{
    /// <summary>Waits until the wall clock has moved past <paramref name="time"/> by more than a millisecond (the store keeps times in ms).</summary>
    public static async Task WaitPastAsync(DateTimeOffset time)
    {
        using var cts = new CancellationTokenSource(TestHub.DefaultTimeout);
        while (DateTimeOffset.UtcNow <= time.AddMilliseconds(2))
        {
            await Task.Yield();
            cts.Token.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Returns a time strictly between everything created before the call and everything created after it, at the
    /// store's millisecond precision.
    /// </summary>
    public static async Task<DateTimeOffset> BoundaryAsync()
    {
        await WaitPastAsync(DateTimeOffset.UtcNow);
        var boundary = DateTimeOffset.UtcNow;
        await WaitPastAsync(boundary);
        return boundary;
    }
}
