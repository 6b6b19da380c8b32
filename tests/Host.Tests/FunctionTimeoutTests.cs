using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Serverless.Host.Tests.Infrastructure;
using Serverless.Host.Tests.Sample;

namespace Serverless.Host.Tests;

public sealed class FunctionTimeoutTests
{
    private const string HostJson = """{ "version": "2.0", "functionTimeout": "00:00:00.500", "extensions": { "durableTask": { "hubName": "test", "shutdownGracePeriod": "00:00:01" } } }""";

    [Theory]
    [InlineData("/api/slow")]
    [InlineData("/api/stubborn")]
    public async Task HttpFunction_RunsPastFunctionTimeout_Gives503NamingTheTimeout(string path)
    {
        await using var host = await FunctionsTestHost.StartAsync([typeof(SlowHttp)], HostJson);

        var response = await host.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("did not finish within the functionTimeout of 00:00:00.5000000", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Activity_RunsPastFunctionTimeout_FailsTheTaskWithTheReason()
    {
        await using var host = await FunctionsTestHost.StartAsync([typeof(SlowHttp)], HostJson);
        var id = await host.DurableClient.ScheduleNewOrchestrationInstanceAsync(nameof(SlowHttp.SlowActivityOrchestration));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var done = await host.DurableClient.WaitForInstanceCompletionAsync(id, true, cts.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.Contains("functionTimeout", done.FailureDetails!.ErrorMessage, StringComparison.Ordinal);
    }
}
