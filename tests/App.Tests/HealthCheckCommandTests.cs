using CompanyHub.Functions;

namespace CompanyHub.Tests;

/// <summary>The container's HEALTHCHECK command: which URL it asks, and its exit code against a running and a stopped hub.</summary>
public sealed class HealthCheckCommandTests
{
    [Theory]
    [InlineData("http://0.0.0.0:18789", "http://127.0.0.1:18789/healthz")]
    [InlineData("http://+:8080;https://+:8443", "http://127.0.0.1:8080/healthz")]
    [InlineData("http://*:5000/", "http://127.0.0.1:5000/healthz")]
    [InlineData("http://[::]:18789", "http://127.0.0.1:18789/healthz")]
    [InlineData("http://127.0.0.1:4000", "http://127.0.0.1:4000/healthz")]
    [InlineData("http://hub.internal:4000", "http://hub.internal:4000/healthz")]
    [InlineData(null, "http://127.0.0.1:18789/healthz")]
    [InlineData("", "http://127.0.0.1:18789/healthz")]
    public void ProbeUrl_AsksTheFirstAddress_OnLoopbackForWildcards(string? urls, string expected) =>
        Assert.Equal(expected, HealthCheckCommand.ProbeUrl(urls).ToString());

    [Fact]
    public async Task Run_ExitsZeroWhileTheHubRuns_AndOneOnceItStopped()
    {
        await using var hub = await HubServer.StartAsync();
        using var output = new StringWriter();

        Assert.Equal(0, await HealthCheckCommand.RunAsync(hub.BaseUrl, output));
        Assert.Contains("/healthz: 200", output.ToString(), StringComparison.Ordinal);

        await hub.StopAsync();
        Assert.Equal(1, await HealthCheckCommand.RunAsync(hub.BaseUrl, output, TimeSpan.FromSeconds(2)));
    }
}
