namespace CompanyHub.Integrations.Tests;

/// <summary>Every wait in these tests has a bound.</summary>
internal static class Timeouts
{
    public static CancellationToken Test => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;
}
