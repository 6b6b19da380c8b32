using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Host.Tests.Infrastructure;

namespace Serverless.Host.Tests;

public sealed class EndToEndTests(SampleHostFixture fixture) : IClassFixture<SampleHostFixture>
{
    private FunctionsTestHost Host => fixture.Host;

    private async Task<JsonElement> PollUntilDoneAsync(string statusUrl, bool sendKey)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, statusUrl);
            if (sendKey)
            {
                request.Headers.Add("x-functions-key", FunctionsTestHost.AdminKey);
            }

            var response = await Host.Client.SendAsync(request, cts.Token);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return await response.Content.ReadFromJsonAsync<JsonElement>(cts.Token);
            }

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.NotNull(response.Headers.Location);
            await Task.Delay(50, cts.Token);
        }
    }

    [Fact]
    public async Task HelloSequence_HttpStart_202ThenPollTo200CompletedWithOutput()
    {
        // The quick start: an anonymous starter, then the status URL it hands out, polled with the host key.
        var start = await Host.Client.PostAsync("/api/HelloSequence_HttpStart", null);

        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var payload = await start.Content.ReadFromJsonAsync<JsonElement>();
        var statusUrl = payload.GetProperty("statusQueryGetUri").GetString()!;
        Assert.Equal(start.Headers.Location!.ToString(), statusUrl);
        Assert.DoesNotContain("code=", statusUrl, StringComparison.Ordinal);
        Assert.StartsWith($"{Host.Client.BaseAddress}runtime/webhooks/durabletask/instances/{payload.GetProperty("id").GetString()}?taskHub=test", statusUrl, StringComparison.Ordinal);

        var status = await PollUntilDoneAsync(statusUrl, sendKey: true);

        Assert.Equal("Completed", status.GetProperty("runtimeStatus").GetString());
        Assert.Equal("HelloSequence", status.GetProperty("name").GetString());
        Assert.Equal(["Hello Tokyo!", "Hello Seattle!", "Hello London!"], status.GetProperty("output").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task HelloSequence_StarterCalledWithHostKey_StatusUrlCarriesTheKey()
    {
        var start = await Host.SendAsync(HttpMethod.Get, "/api/HelloSequence_HttpStart");

        var statusUrl = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("statusQueryGetUri").GetString()!;
        Assert.Contains($"&code={FunctionsTestHost.AdminKey}", statusUrl, StringComparison.Ordinal);

        var status = await PollUntilDoneAsync(statusUrl, sendKey: false);

        Assert.Equal("Completed", status.GetProperty("runtimeStatus").GetString());
    }

    [Fact]
    public async Task EchoAndWait_FinishesWithinTimeout_Gives200WithTheOutput()
    {
        var response = await Host.SendAsync(HttpMethod.Post, "/api/echo", """{ "name": "zed", "count": 41 }""", admin: false);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var output = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("ZED", output.GetProperty("name").GetString());
        Assert.Equal(42, output.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Health_LiveAndReady_Answer200()
    {
        var live = await Host.Client.GetAsync("/healthz");
        var ready = await Host.Client.GetFromJsonAsync<JsonElement>("/readyz");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Ready", ready.GetProperty("status").GetString());
        Assert.Equal("test", ready.GetProperty("hub").GetString());
    }

    [Fact]
    public void Banner_AfterStart_ListsFunctionsLikeFuncStart()
    {
        var banner = Host.Banner.ToString();
        var baseUrl = Host.Client.BaseAddress!.ToString().TrimEnd('/');

        Assert.Contains($"        HelloSequence_HttpStart: [GET,POST] {baseUrl}/api/HelloSequence_HttpStart", banner, StringComparison.Ordinal);
        Assert.Contains($"        GetOrder: [GET] {baseUrl}/api/orders/{{id:int}}", banner, StringComparison.Ordinal);
        Assert.Contains($"        Any: [ALL] {baseUrl}/api/Any", banner, StringComparison.Ordinal);
        Assert.Contains("        HelloSequence: orchestrationTrigger", banner, StringComparison.Ordinal);
        Assert.Contains("        SayHello: activityTrigger", banner, StringComparison.Ordinal);
        Assert.Contains("        Counter: entityTrigger", banner, StringComparison.Ordinal);
        Assert.Contains("        ToUpper: activityTrigger (class ToUpper)", banner, StringComparison.Ordinal);
        Assert.Contains($"Data directory: {Path.Combine(Host.ContentRoot, ".data")}", banner, StringComparison.Ordinal);
        Assert.Contains($"Admin API:      {baseUrl}/runtime/webhooks/durabletask/instances", banner, StringComparison.Ordinal);
        Assert.Contains("key from setting Host:AdminKey", banner, StringComparison.Ordinal);
        Assert.DoesNotContain(FunctionsTestHost.AdminKey, banner, StringComparison.Ordinal);
    }
}
