namespace Serverless.Runtime.Tests;

/// <summary>Helpers for activities that fail: typed as returning a value, so they fit the synchronous activity overloads.</summary>
internal static class Fail
{
    /// <summary>Counts the attempt and throws an <see cref="InvalidOperationException"/>.</summary>
    public static string Always(CallCounter attempts, string message)
    {
        var attempt = attempts.Increment();
        throw new InvalidOperationException($"{message} (attempt {attempt})");
    }
}
