using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Serverless.Host.Tests.Infrastructure;

namespace Serverless.Host.Tests;

/// <summary>Conformance of /runtime/webhooks/durabletask with Durable Functions: routes, verbs, status codes, headers, JSON, paging.</summary>
public sealed class ManagementApiTests(SampleHostFixture fixture) : IClassFixture<SampleHostFixture>
{
    private const string Base = "/runtime/webhooks/durabletask";
    private static readonly string[] StatusFields = ["name", "instanceId", "runtimeStatus", "input", "customStatus", "output", "createdTime", "lastUpdatedTime"];

    private FunctionsTestHost Host => fixture.Host;

    private DurableTaskClient Client => Host.DurableClient;

    private static async Task<T> WithTimeout<T>(Func<CancellationToken, Task<T>> action)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        return await action(cts.Token);
    }

    private Task<OrchestrationMetadata> CompletedAsync(string id) => WithTimeout(ct => Client.WaitForInstanceCompletionAsync(id, true, ct));

    private async Task<string> StartWaitingAsync(string? id = null)
    {
        id ??= "wait-" + Guid.NewGuid().ToString("N");
        await Client.ScheduleNewOrchestrationInstanceAsync("WaitForApproval", input: null, options: new StartOrchestrationOptions(id));
        await WithTimeout(ct => Client.WaitForInstanceStartAsync(id, false, ct));
        return id;
    }

    [Fact]
    public async Task AnyRoute_WithoutKey_Gives401()
    {
        var response = await Host.SendAsync(HttpMethod.Get, $"{Base}/instances", admin: false);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task AnyRoute_OtherTaskHub_Gives400()
    {
        var response = await Host.SendAsync(HttpMethod.Get, $"{Base}/instances?taskHub=Elsewhere");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task StartOrchestration_WithInputAndId_Gives202WithManagementUrls()
    {
        var id = "echo-" + Guid.NewGuid().ToString("N");

        var response = await Host.SendAsync(HttpMethod.Post, $"{Base}/orchestrators/Echo/{id}", """{ "name": "ada", "count": 1 }""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(10), response.Headers.RetryAfter?.Delta);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, body.GetProperty("id").GetString());
        var baseUrl = $"{Host.Client.BaseAddress!.ToString().TrimEnd('/')}{Base}/instances/{id}";
        var query = $"taskHub=test&connection=sqlite&code={FunctionsTestHost.AdminKey}";
        Assert.Equal(response.Headers.Location!.ToString(), body.GetProperty("statusQueryGetUri").GetString());
        Assert.Equal($"{baseUrl}?{query}", body.GetProperty("statusQueryGetUri").GetString());
        Assert.Equal($"{baseUrl}/raiseEvent/{{eventName}}?{query}", body.GetProperty("sendEventPostUri").GetString());
        Assert.Equal($"{baseUrl}/terminate?reason={{text}}&{query}", body.GetProperty("terminatePostUri").GetString());
        Assert.Equal($"{baseUrl}?{query}", body.GetProperty("purgeHistoryDeleteUri").GetString());
        Assert.Equal($"{baseUrl}/restart?{query}", body.GetProperty("restartPostUri").GetString());
        Assert.Equal($"{baseUrl}/suspend?reason={{text}}&{query}", body.GetProperty("suspendPostUri").GetString());
        Assert.Equal($"{baseUrl}/resume?reason={{text}}&{query}", body.GetProperty("resumePostUri").GetString());
        var done = await CompletedAsync(id);
        Assert.Equal(new Sample.EchoOutput("ADA", 2), done.ReadOutputAs<Sample.EchoOutput>());
    }

    [Fact]
    public async Task StartOrchestration_UnknownFunction_Gives400()
    {
        var response = await Host.SendAsync(HttpMethod.Post, $"{Base}/orchestrators/NoSuchThing");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("doesn't exist", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartOrchestration_InvalidJson_Gives400()
    {
        var response = await Host.SendAsync(HttpMethod.Post, $"{Base}/orchestrators/Echo", "{ nope");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task StartAndRaise_BodyOverThePayloadLimit_Give413_AndStoreNothing()
    {
        var id = $"big-{Guid.NewGuid():N}";
        var big = $"\"{new string('x', 4 * 1024 * 1024)}\"";

        var start = await Host.SendAsync(HttpMethod.Post, $"{Base}/orchestrators/Echo/{id}", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, start.StatusCode);
        Assert.Contains("orchestration input", await start.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(await Client.GetInstanceAsync(id));

        var waiting = await StartWaitingAsync();
        var raise = await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/{waiting}/raiseEvent/Approval", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, raise.StatusCode);
        Assert.Contains("data of event 'Approval'", await raise.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await Client.GetInstanceAsync(waiting))!.RuntimeStatus);
    }

    [Fact]
    public async Task StartOrchestration_RunningInstanceWithSameId_Gives409()
    {
        var id = await StartWaitingAsync();

        var response = await Host.SendAsync(HttpMethod.Post, $"{Base}/orchestrators/WaitForApproval/{id}");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    [Fact]
    public async Task StartOrchestration_TimeoutAndPollingInterval_Gives200WithOutputWhenDoneInTime()
    {
        var response = await Host.SendAsync(HttpMethod.Post, $"{Base}/orchestrators/Echo?timeout=10&pollingInterval=1", """{ "name": "bo", "count": 4 }""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var output = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("BO", output.GetProperty("name").GetString());
        Assert.Equal(5, output.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task GetStatus_Running_Gives202WithLocationAndRetryAfter()
    {
        var id = await StartWaitingAsync();

        var response = await Host.SendAsync(HttpMethod.Get, $"{Base}/instances/{id}");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(new Uri(Host.Client.BaseAddress!, $"{Base}/instances/{id}"), response.Headers.Location);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Running", body.GetProperty("runtimeStatus").GetString());
        Assert.Equal("waiting", body.GetProperty("customStatus").GetProperty("step").GetString());
    }

    [Fact]
    public async Task GetStatus_Completed_Gives200WithDurableFunctionsFields()
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync("Echo", new Sample.EchoInput("cy", 0));
        await CompletedAsync(id);

        var response = await Host.SendAsync(HttpMethod.Get, $"{Base}/instances/{id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(StatusFields, body.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("Echo", body.GetProperty("name").GetString());
        Assert.Equal(id, body.GetProperty("instanceId").GetString());
        Assert.Equal("Completed", body.GetProperty("runtimeStatus").GetString());
        Assert.Equal("cy", body.GetProperty("input").GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("customStatus").ValueKind);
        Assert.Equal("CY", body.GetProperty("output").GetProperty("name").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", body.GetProperty("createdTime").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", body.GetProperty("lastUpdatedTime").GetString());
    }

    [Fact]
    public async Task GetStatus_ShowHistory_ListsEventsInDurableFunctionsShape()
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync("HelloSequence");
        await CompletedAsync(id);

        var plain = await (await Host.SendAsync(HttpMethod.Get, $"{Base}/instances/{id}?showHistory=true&showInput=false")).Content.ReadFromJsonAsync<JsonElement>();
        var withOutput = await (await Host.SendAsync(HttpMethod.Get, $"{Base}/instances/{id}?showHistory=true&showHistoryOutput=true")).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(JsonValueKind.Null, plain.GetProperty("input").ValueKind);
        var events = plain.GetProperty("historyEvents").EnumerateArray().ToList();
        Assert.Equal("ExecutionStarted", events[0].GetProperty("EventType").GetString());
        Assert.Equal("HelloSequence", events[0].GetProperty("FunctionName").GetString());
        var completions = events.Where(e => e.GetProperty("EventType").GetString() == "TaskCompleted").ToList();
        Assert.Equal(3, completions.Count);
        Assert.All(completions, e =>
        {
            Assert.Equal("SayHello", e.GetProperty("FunctionName").GetString());
            Assert.True(e.TryGetProperty("ScheduledTime", out _));
            Assert.False(e.TryGetProperty("Result", out _));
        });
        Assert.DoesNotContain(events, e => e.GetProperty("EventType").GetString() is "TaskScheduled" or "OrchestratorStarted");
        Assert.Equal("Completed", events[^1].GetProperty("OrchestrationStatus").GetString());
        var results = withOutput.GetProperty("historyEvents").EnumerateArray().Where(e => e.GetProperty("EventType").GetString() == "TaskCompleted").Select(e => e.GetProperty("Result").GetString());
        Assert.Equal(["Hello Tokyo!", "Hello Seattle!", "Hello London!"], results);
    }

    [Fact]
    public async Task GetStatus_Unknown_Gives404()
    {
        var response = await Host.SendAsync(HttpMethod.Get, $"{Base}/instances/nope-{Guid.NewGuid():N}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task GetStatus_Failed_Gives200OrWith500WhenAsked()
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync("AlwaysFails");
        await CompletedAsync(id);

        var normal = await Host.SendAsync(HttpMethod.Get, $"{Base}/instances/{id}");
        var strict = await Host.SendAsync(HttpMethod.Get, $"{Base}/instances/{id}?returnInternalServerErrorOnFailure=true");

        Assert.Equal(HttpStatusCode.OK, normal.StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, strict.StatusCode);
        var body = await normal.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Failed", body.GetProperty("runtimeStatus").GetString());
        Assert.Contains("always fails", body.GetProperty("output").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RaiseEvent_Running_Gives202AndTheOrchestrationReceivesIt()
    {
        var id = await StartWaitingAsync();

        var response = await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/{id}/raiseEvent/Approval", "\"yes\"");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("decided: yes", (await CompletedAsync(id)).ReadOutputAs<string>());
    }

    [Fact]
    public async Task RaiseEvent_UnknownInstance_Gives404()
    {
        var response = await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/none-{Guid.NewGuid():N}/raiseEvent/Approval", "\"yes\"");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task RaiseEvent_FinishedInstance_Gives410()
    {
        var id = await StartWaitingAsync();
        await Client.RaiseEventAsync(id, "Approval", "first");
        await CompletedAsync(id);

        var response = await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/{id}/raiseEvent/Approval", "\"late\"");

        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
    }

    [Fact]
    public async Task RaiseEvent_NotJson_Gives400()
    {
        var id = await StartWaitingAsync();

        var wrongType = await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/{id}/raiseEvent/Approval", "yes", contentType: "text/plain");
        var badJson = await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/{id}/raiseEvent/Approval", "{ yes");

        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
    }

    [Fact]
    public async Task Terminate_Running_Gives202ThenTerminatedWithReason()
    {
        var id = await StartWaitingAsync();

        var response = await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/{id}/terminate?reason=enough");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var done = await CompletedAsync(id);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, done.RuntimeStatus);
        var status = await (await Host.SendAsync(HttpMethod.Get, $"{Base}/instances/{id}")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("enough", status.GetProperty("output").GetString());
    }

    [Fact]
    public async Task Terminate_UnknownOrFinished_Gives404Or410()
    {
        var finished = await Client.ScheduleNewOrchestrationInstanceAsync("Echo");
        await CompletedAsync(finished);

        var unknown = await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/none-{Guid.NewGuid():N}/terminate");
        var gone = await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/{finished}/terminate");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
    }

    [Fact]
    public async Task SuspendAndResume_Running_Gives202AndChangesStatus()
    {
        var id = await StartWaitingAsync();

        var suspend = await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/{id}/suspend?reason=hold");
        await WithTimeout(async ct =>
        {
            while ((await Client.GetInstanceAsync(id, cancellation: ct))!.RuntimeStatus != OrchestrationRuntimeStatus.Suspended)
            {
                await Task.Delay(20, ct);
            }

            return true;
        });
        var suspendedStatus = await Host.SendAsync(HttpMethod.Get, $"{Base}/instances/{id}");
        var resume = await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/{id}/resume?reason=go");
        await Client.RaiseEventAsync(id, "Approval", "after resume");

        Assert.Equal(HttpStatusCode.Accepted, suspend.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, suspendedStatus.StatusCode);
        Assert.Equal("Suspended", (await suspendedStatus.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runtimeStatus").GetString());
        Assert.Equal(HttpStatusCode.Accepted, resume.StatusCode);
        Assert.Equal("decided: after resume", (await CompletedAsync(id)).ReadOutputAs<string>());
    }

    [Fact]
    public async Task Restart_Finished_Gives202WithNewInstanceByDefault()
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync("Echo", new Sample.EchoInput("re", 1));
        await CompletedAsync(id);

        var response = await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/{id}/restart");
        var sameId = await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/{id}/restart?restartWithNewInstanceId=false");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var newId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        Assert.NotEqual(id, newId);
        Assert.Equal("RE", (await CompletedAsync(newId)).ReadOutputAs<Sample.EchoOutput>()!.Name);
        Assert.Equal(HttpStatusCode.Accepted, sameId.StatusCode);
        Assert.Equal(id, (await sameId.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Restart_Unknown_Gives400AsDurableFunctions()
    {
        var response = await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/none-{Guid.NewGuid():N}/restart");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Rewind_FailedInstance_Gives501NotPretending()
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync("AlwaysFails");
        await CompletedAsync(id);
        var running = await StartWaitingAsync();

        Assert.Equal(HttpStatusCode.NotImplemented, (await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/{id}/rewind")).StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/{running}/rewind")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.SendAsync(HttpMethod.Post, $"{Base}/instances/{running}/explode")).StatusCode);
    }

    [Fact]
    public async Task PurgeOne_Finished_Gives200WithCountThen404()
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync("Echo");
        await CompletedAsync(id);

        var first = await Host.SendAsync(HttpMethod.Delete, $"{Base}/instances/{id}");
        var second = await Host.SendAsync(HttpMethod.Delete, $"{Base}/instances/{id}");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("""{"instancesDeleted":1}""", await first.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, second.StatusCode);
    }

    [Fact]
    public async Task PurgeOne_Running_Gives412()
    {
        var id = await StartWaitingAsync();

        var response = await Host.SendAsync(HttpMethod.Delete, $"{Base}/instances/{id}");

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
    }

    [Fact]
    public async Task PurgeMany_Filters_Gives200WithCountOr404OrRequiresCreatedTimeFrom()
    {
        var from = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("o");
        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            ids.Add(await Client.ScheduleNewOrchestrationInstanceAsync("AlwaysFails"));
        }

        foreach (var id in ids)
        {
            await CompletedAsync(id);
        }

        var missingFrom = await Host.SendAsync(HttpMethod.Delete, $"{Base}/instances?runtimeStatus=Failed");
        var purged = await Host.SendAsync(HttpMethod.Delete, $"{Base}/instances?createdTimeFrom={Uri.EscapeDataString(from)}&runtimeStatus=Failed");
        var none = await Host.SendAsync(HttpMethod.Delete, $"{Base}/instances?createdTimeFrom={Uri.EscapeDataString(from)}&runtimeStatus=Failed");

        Assert.Equal(HttpStatusCode.BadRequest, missingFrom.StatusCode);
        Assert.Equal(HttpStatusCode.OK, purged.StatusCode);
        Assert.True((await purged.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("instancesDeleted").GetInt32() >= 2);
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Null(await Client.GetInstanceAsync(ids[0]));
    }

    [Fact]
    public async Task List_TopAndContinuationHeader_PagesThroughEveryInstance()
    {
        var prefix = "page-" + Guid.NewGuid().ToString("N")[..8] + "-";
        for (var i = 0; i < 5; i++)
        {
            await Client.ScheduleNewOrchestrationInstanceAsync("WaitForApproval", input: null, options: new StartOrchestrationOptions($"{prefix}{i}"));
        }

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{Base}/instances?instanceIdPrefix={prefix}&top=2&showInput=true");
            request.Headers.Add("x-functions-key", FunctionsTestHost.AdminKey);
            if (token is not null)
            {
                request.Headers.Add("x-ms-continuation-token", token);
            }

            var response = await Host.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(page.GetArrayLength() <= 2);
            foreach (var item in page.EnumerateArray())
            {
                Assert.Equal(StatusFields, item.EnumerateObject().Select(p => p.Name).ToArray());
                seen.Add(item.GetProperty("instanceId").GetString()!);
            }

            token = response.Headers.TryGetValues("x-ms-continuation-token", out var values) ? values.Single() : null;
            pages++;
        }
        while (token is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"{prefix}{i}").Order(), seen.Order());
    }

    [Fact]
    public async Task List_RuntimeStatusAndCreatedTimeFilters_Apply()
    {
        var prefix = "filter-" + Guid.NewGuid().ToString("N")[..8] + "-";
        await Client.ScheduleNewOrchestrationInstanceAsync("WaitForApproval", input: null, options: new StartOrchestrationOptions(prefix + "running"));
        await CompletedAsync(await Client.ScheduleNewOrchestrationInstanceAsync("Echo", input: null, options: new StartOrchestrationOptions(prefix + "done")));

        var completed = await (await Host.SendAsync(HttpMethod.Get, $"{Base}/instances?instanceIdPrefix={prefix}&runtimeStatus=Completed,Failed")).Content.ReadFromJsonAsync<JsonElement>();
        var future = await (await Host.SendAsync(HttpMethod.Get, $"{Base}/instances?instanceIdPrefix={prefix}&createdTimeFrom={DateTime.UtcNow.AddHours(1):yyyy-MM-ddTHH:mm:ssZ}")).Content.ReadFromJsonAsync<JsonElement>();
        var badStatus = await Host.SendAsync(HttpMethod.Get, $"{Base}/instances?runtimeStatus=Sleeping");

        Assert.Equal([prefix + "done"], completed.EnumerateArray().Select(e => e.GetProperty("instanceId").GetString()));
        Assert.Equal(JsonValueKind.Null, completed[0].GetProperty("input").ValueKind);
        Assert.Equal(0, future.GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, badStatus.StatusCode);
    }

    [Fact]
    public async Task Entities_SignalGetList_AsDurableFunctions()
    {
        var key = "k" + Guid.NewGuid().ToString("N")[..8];

        var signal = await Host.SendAsync(HttpMethod.Post, $"{Base}/entities/Counter/{key}?op=Add", "5");
        await WithTimeout(async ct =>
        {
            while (await Client.Entities.GetEntityAsync(new EntityInstanceId("Counter", key), cancellation: ct) is null)
            {
                await Task.Delay(20, ct);
            }

            return true;
        });
        var get = await Host.SendAsync(HttpMethod.Get, $"{Base}/entities/Counter/{key}");
        var list = await Host.SendAsync(HttpMethod.Get, $"{Base}/entities/counter?fetchState=true&top=100");
        var missing = await Host.SendAsync(HttpMethod.Get, $"{Base}/entities/Counter/missing-{key}");
        var unknownEntity = await Host.SendAsync(HttpMethod.Post, $"{Base}/entities/NoSuchEntity/{key}?op=Add", "1");
        var noOperation = await Host.SendAsync(HttpMethod.Post, $"{Base}/entities/Counter/{key}", "1");

        Assert.Equal(HttpStatusCode.Accepted, signal.StatusCode);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("5", await get.Content.ReadAsStringAsync());
        var item = (await list.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().Single(e => e.GetProperty("entityId").GetProperty("key").GetString() == key);
        Assert.Equal("counter", item.GetProperty("entityId").GetProperty("name").GetString());
        Assert.Equal(5, item.GetProperty("state").GetInt32());
        Assert.True(item.TryGetProperty("lastOperationTime", out _));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownEntity.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noOperation.StatusCode);
    }

    [Fact]
    public async Task Entities_Delete_SignalsDeleteOperation()
    {
        var id = new EntityInstanceId("Counter", "del-" + Guid.NewGuid().ToString("N")[..8]);
        await Client.Entities.SignalEntityAsync(id, "Add", 2);
        await WithTimeout(async ct =>
        {
            while (await Client.Entities.GetEntityAsync(id, cancellation: ct) is null)
            {
                await Task.Delay(20, ct);
            }

            return true;
        });

        var response = await Host.SendAsync(HttpMethod.Delete, $"{Base}/entities/Counter/{id.Key}");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await WithTimeout(async ct =>
        {
            while (await Client.Entities.GetEntityAsync(id, cancellation: ct) is not null)
            {
                await Task.Delay(20, ct);
            }

            return true;
        });
    }
}
