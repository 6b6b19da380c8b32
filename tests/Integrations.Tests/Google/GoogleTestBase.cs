using CompanyHub.Fakes.Google;

namespace CompanyHub.Integrations.Tests.Google;

/// <summary>A fresh <see cref="FakeGoogle"/> and the app's clients pointed at it, per test.</summary>
public abstract class GoogleTestBase : IAsyncLifetime
{
    protected const string Alice = "alice@company.com";
    protected const string RedirectUri = "https://hub.example.com/api/oauth/google/callback";

    protected FakeGoogle Google { get; private set; } = null!;

    protected ClientHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Google = await FakeGoogle.StartAsync(Timeouts.Test);
        Google.AddAccount(Alice, "Alice Example");
        Host = new ClientHost(Google.ConfigurationValues().Concat(ExtraSettings()));
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Google.DisposeAsync();
    }

    protected virtual IEnumerable<KeyValuePair<string, string?>> ExtraSettings() => [new("Google:RequestTimeout", "00:00:05")];

    /// <summary>Asserts that no log line and no exception text carries a secret.</summary>
    protected void AssertNotLeaked(string secret, Exception? exception = null)
    {
        Assert.NotEmpty(Host.Logs.Lines); // the HttpClient factory logs every request at Trace level
        Assert.DoesNotContain(Host.Logs.Lines, line => line.Contains(secret, StringComparison.Ordinal));
        if (exception is not null)
        {
            Assert.DoesNotContain(secret, exception.ToString(), StringComparison.Ordinal);
        }
    }
}
