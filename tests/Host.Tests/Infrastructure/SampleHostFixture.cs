namespace Serverless.Host.Tests.Infrastructure;

/// <summary>One running host with the sample functions, shared by the tests of a class.</summary>
public sealed class SampleHostFixture : IAsyncLifetime
{
    public FunctionsTestHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await FunctionsTestHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
