using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Notion;
using CompanyHub.Functions;
using CompanyHub.Integrations;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CompanyHub.Tests;

/// <summary>
/// The durable sync of a Notion database into the knowledge base, over HTTP with the fake Notion: <c>202</c> and a status
/// URL at once, progress and counts from <c>GET</c>, one activity per page of query results, Notion's transient failures
/// waited out, pages archived in Notion removed, one sync per database however often it is started.
/// </summary>
public sealed class KnowledgeSyncHttpTests
{
    private static readonly TimeSpan SyncWait = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Sync_Answers202WithAStatusUrl_TheStatusCompletesWithCounts_AndThePagesAreSearchable()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Notion);
        using var admin = tools.Admin();
        var handbook = tools.Notion.AddDatabase("Handbook");
        // More than one page of Notion's query results (100 a page): two batches.
        for (var i = 0; i < KnowledgeSync.BatchSize + 20; i++)
        {
            tools.Notion.AddDatabasePage(handbook.Id, $"Policy {i:000}", null, $"Rule number {i} of the handbook.");
        }

        tools.Notion.AddDatabasePage(handbook.Id, "Holidays", null, "Everyone gets 28 days of holiday a year.");

        // Bad input is refused before anything starts.
        await HubFlows.AssertProblemAsync(await admin.PostAsJsonAsync("/api/admin/knowledge/sync", new { }), HttpStatusCode.BadRequest);
        await HubFlows.AssertProblemAsync(await admin.PostAsJsonAsync("/api/admin/knowledge/sync", new { databaseId = "not-a-notion-id" }), HttpStatusCode.BadRequest);
        await HubFlows.AssertProblemAsync(await admin.GetAsync("/api/admin/knowledge/sync/not-a-notion-id"), HttpStatusCode.BadRequest);
        await HubFlows.AssertProblemAsync(await admin.GetAsync($"/api/admin/knowledge/sync/{handbook.Id}"), HttpStatusCode.NotFound);

        // A URL names the database as well as its id does.
        var (started, location) = await StartAsync(admin, $"https://www.notion.so/acme/Handbook-{handbook.Id.Replace("-", "", StringComparison.Ordinal)}?v=0123456789abcdef0123456789abcdef");
        Assert.True(started);
        Assert.Equal($"/api/admin/knowledge/sync/{handbook.Id}", location);

        var done = await WaitForEndAsync(admin, location);
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Equal((2, 121, 121, 0, 0, 0), Counts(done));
        Assert.Equal("admin", done["by"]!.GetValue<string>());
        Assert.NotNull(done["finishedAt"]);
        Assert.Null(done["lastError"]);
        Assert.Equal(2, tools.Notion.CallCount(NotionEndpoints.DataSourcesQuery));

        var hits = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/knowledge?q=holiday"))!;
        Assert.Equal("Holidays", Assert.Single(hits)!["title"]!.GetValue<string>());
        Assert.Equal(121, (await admin.GetFromJsonAsync<JsonArray>("/api/admin/knowledge"))!.Count);

        // Listed among the syncs; a repeat changes nothing.
        Assert.Equal(handbook.Id, Assert.Single((await admin.GetFromJsonAsync<JsonArray>("/api/admin/knowledge/sync"))!)!["databaseId"]!.GetValue<string>());
        Assert.True((await StartAsync(admin, handbook.Id)).Started);
        var again = await WaitForEndAsync(admin, location);
        Assert.Equal((2, 121, 0, 0, 0, 121), Counts(again));

        var synced = await HubFlows.AuditAsync(tools.Hub, "knowledge.sync");
        Assert.Equal(["knowledge.sync.started", "knowledge.synced", "knowledge.sync.started", "knowledge.synced"], synced.Select(a => a["action"]!.GetValue<string>()).Reverse());
        Assert.Contains("121 added", synced.Last(a => a["action"]!.GetValue<string>() == "knowledge.synced")["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotionFailingTransientlyOnAPageOfResults_IsWaitedOut_AndTheSyncCompletes_APermanentFailureEndsItFailedWithoutTheKey()
    {
        var (hub, handbook) = await StartWithHandbookAsync();
        await using var tools = hub;
        using var admin = tools.Admin();

        // A 503, then a 429 asking for a second: both waited out on durable timers.
        tools.Notion.FailNext(1, 503, "Notion is down for maintenance.", NotionEndpoints.DataSourcesQuery);
        tools.Notion.RateLimitNext(1, TimeSpan.FromSeconds(1), NotionEndpoints.DataSourcesQuery);
        var (_, location) = await StartAsync(admin, handbook.Id);
        var done = await WaitForEndAsync(admin, location);
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Equal(2, done["retries"]!.GetValue<int>());
        Assert.Equal(1, done["added"]!.GetValue<int>());
        Assert.Equal(3, tools.Notion.CallCount(NotionEndpoints.DataSourcesQuery));
        Assert.Single((await admin.GetFromJsonAsync<JsonArray>("/api/admin/knowledge?q=holiday"))!);

        // A permanent failure (the integration lost access) ends the sync: failed, Notion's word on it, no key.
        tools.Notion.FailAlways(403, "Integration does not have access to this database.", NotionEndpoints.DataSourcesQuery);
        await StartAsync(admin, handbook.Id);
        var failed = await WaitForEndAsync(admin, location);
        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        Assert.Contains("403", failed["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("does not have access", failed["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, failed["retries"]!.GetValue<int>());
        Assert.DoesNotContain(tools.Notion.ApiKey, failed.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("failed", (await HubFlows.AuditAsync(tools.Hub, "knowledge.synced"))[0]["outcome"]!.GetValue<string>());

        // Nothing synced before is lost by the failure.
        Assert.Single((await admin.GetFromJsonAsync<JsonArray>("/api/admin/knowledge?q=holiday"))!);
    }

    [Fact]
    public async Task APageArchivedInNotion_IsRemovedFromTheBase_OnTheNextSync()
    {
        var (hub, handbook) = await StartWithHandbookAsync();
        await using var tools = hub;
        using var admin = tools.Admin();
        var travel = tools.Notion.AddDatabasePage(handbook.Id, "Travel", null, "Book trains for trips under four hours.");
        var (_, location) = await StartAsync(admin, handbook.Id);
        Assert.Equal(2, (await WaitForEndAsync(admin, location))["added"]!.GetValue<int>());
        Assert.Single((await admin.GetFromJsonAsync<JsonArray>("/api/admin/knowledge?q=trains"))!);

        await ArchiveAsync(tools.Notion, travel);
        await StartAsync(admin, handbook.Id);
        var done = await WaitForEndAsync(admin, location);
        Assert.Equal((1, 1, 0, 0, 1, 1), Counts(done));
        Assert.Empty((await admin.GetFromJsonAsync<JsonArray>("/api/admin/knowledge?q=trains"))!);
        Assert.Equal(["Holidays"], (await admin.GetFromJsonAsync<JsonArray>("/api/admin/knowledge"))!.Select(p => p!["title"]!.GetValue<string>()));
    }

    [Fact]
    public async Task TwoStartsWhileASyncRuns_RunOneSync_TheSecondAnswersTheRunningOne()
    {
        var (hub, handbook) = await StartWithHandbookAsync();
        await using var tools = hub;
        using var admin = tools.Admin();

        // Notion holds the first page of results until the second start has been answered.
        var queried = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        tools.Notion.BeforeAnswer = async request =>
        {
            if (request.Endpoint == NotionEndpoints.DataSourcesQuery)
            {
                queried.TrySetResult();
                await release.Task;
            }
        };

        var (first, location) = await StartAsync(admin, handbook.Id);
        Assert.True(first);
        await queried.Task.WaitAsync(SyncWait);
        var running = (await admin.GetFromJsonAsync<JsonObject>(location))!;
        Assert.Equal("running", running["status"]!.GetValue<string>());

        using (var second = await admin.PostAsJsonAsync("/api/admin/knowledge/sync", new { databaseId = handbook.Id }))
        {
            Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
            Assert.Equal(location, second.Headers.Location!.OriginalString);
            var body = (await second.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.False(body["started"]!.GetValue<bool>());
            Assert.Equal("running", body["sync"]!["status"]!.GetValue<string>());
        }

        release.SetResult();
        var done = await WaitForEndAsync(admin, location);
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Equal(1, done["added"]!.GetValue<int>());
        Assert.Equal(1, tools.Notion.CallCount(NotionEndpoints.DataSourcesQuery));
        Assert.Single(await HubFlows.AuditAsync(tools.Hub, "knowledge.sync.started"));
        Assert.Single(await HubFlows.AuditAsync(tools.Hub, "knowledge.synced"));
    }

    [Fact]
    public async Task TheHourlyTimer_StartsTheDurableSyncOfTheConfiguredDatabase_BySchedule()
    {
        var (hub, handbook) = await StartWithHandbookAsync();
        await using var tools = hub;
        using var admin = tools.Admin();

        // The timer's function as the host runs it at its occurrence, with the database configured (the fake made its id just now).
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(KnowledgeSync.DatabaseSetting, handbook.Id.Replace("-", "", StringComparison.Ordinal))]).Build();
        var functions = ActivatorUtilities.CreateInstance<KnowledgeFunctions>(tools.Hub.Services, (IConfiguration)configuration);
        await functions.SyncKnowledgeOnSchedule(new TimerInfo(), tools.Hub.Client, CancellationToken.None);

        var done = await WaitForEndAsync(admin, $"/api/admin/knowledge/sync/{handbook.Id}");
        Assert.Equal(("completed", "schedule", 1), (done["status"]!.GetValue<string>(), done["by"]!.GetValue<string>(), done["added"]!.GetValue<int>()));
        var audit = Assert.Single(await HubFlows.AuditAsync(tools.Hub, "knowledge.synced"));
        Assert.Equal("schedule", audit["actor"]!.GetValue<string>());
        Assert.Single((await admin.GetFromJsonAsync<JsonArray>("/api/admin/knowledge?q=holiday"))!);
    }

    /// <summary>A hub with Notion, and a Notion database "Handbook" holding one page, "Holidays".</summary>
    private static async Task<(ToolHub Tools, FakeNotionDatabase Handbook)> StartWithHandbookAsync()
    {
        var tools = await ToolHub.StartAsync(Tools.Notion);
        var handbook = tools.Notion.AddDatabase("Handbook");
        tools.Notion.AddDatabasePage(handbook.Id, "Holidays", null, "Everyone gets 28 days of holiday a year.");
        return (tools, handbook);
    }

    /// <summary>Archives a Notion page through the fake's API, as someone in Notion would.</summary>
    private static async Task ArchiveAsync(FakeNotion notion, string pageId)
    {
        using var http = new HttpClient { BaseAddress = new Uri(notion.Url) };
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/v1/pages/{pageId}") { Content = JsonContent.Create(new { in_trash = true }) };
        request.Headers.Authorization = new("Bearer", notion.ApiKey);
        request.Headers.Add("Notion-Version", "2025-09-03");
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Syncs a database as the admin does (POST, then the status until it ends); returns the final status.</summary>
    public static async Task<JsonObject> SyncAsync(HttpClient admin, string databaseId) =>
        await WaitForEndAsync(admin, (await StartAsync(admin, databaseId)).Location);

    /// <summary>POSTs a sync; asserts the 202 and returns whether it started one and its status URL.</summary>
    private static async Task<(bool Started, string Location)> StartAsync(HttpClient admin, string databaseId)
    {
        using var response = await admin.PostAsJsonAsync("/api/admin/knowledge/sync", new { databaseId });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        var body = JsonNode.Parse(text)!;
        Assert.Equal(response.Headers.Location!.OriginalString, body["sync"]!["statusUrl"]!.GetValue<string>());
        return (body["started"]!.GetValue<bool>(), response.Headers.Location!.OriginalString);
    }

    /// <summary>Polls the status URL until the sync has ended (completed or failed).</summary>
    private static async Task<JsonObject> WaitForEndAsync(HttpClient admin, string location)
    {
        JsonObject status = [];
        using var timeout = new CancellationTokenSource(SyncWait);
        while ((status = (await admin.GetFromJsonAsync<JsonObject>(location))!)["status"]!.GetValue<string>() == "running")
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"The sync did not end within {SyncWait.TotalSeconds} s: {status.ToJsonString()}");
            }

            await Task.Delay(50, CancellationToken.None);
        }

        return status;
    }

    private static (int Batches, int Seen, int Added, int Updated, int Removed, int Unchanged) Counts(JsonObject s) =>
        (s["batches"]!.GetValue<int>(), s["seen"]!.GetValue<int>(), s["added"]!.GetValue<int>(), s["updated"]!.GetValue<int>(), s["removed"]!.GetValue<int>(), s["unchanged"]!.GetValue<int>());
}
