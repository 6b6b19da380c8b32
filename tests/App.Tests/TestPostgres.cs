namespace CompanyHub.Tests;

/// <summary>The PostgreSQL server the tests use: the one scripts/test (or scripts/services) starts, named by HUB_TEST_POSTGRES.</summary>
public static class TestPostgres
{
    public static string ConnectionString() =>
        Environment.GetEnvironmentVariable("HUB_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("HUB_TEST_POSTGRES is not set: run scripts/test, or `scripts/services start postgres` and `eval \"$(scripts/services env postgres)\"` first.");
}
