using System.Diagnostics;
using System.Text.Json;
using CompanyHub.Cli;
using CompanyHub.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CompanyHub.Tests;

/// <summary>
/// <c>durable &lt;command&gt;</c> against a real hub: every command over the management API (with the hub's test
/// orchestrations), the JSON output parsed, the exit codes, bad input, and <c>--data-dir</c> on a stopped hub's store.
/// </summary>
public sealed class DurableCommandTests : IClassFixture<DurableCommandTests.Hub>
{
    private const string Wait = "CliWait";
    private const string Echo = "CliEcho";
    private const string Fail = "CliFail";
    private readonly Hub _hub;

    public DurableCommandTests(Hub hub) => _hub = hub;

    [Fact]
    public async Task StartNew_RaiseEvent_GetRuntimeStatusAndHistory_OverTheManagementApi()
    {
        // Arrange
        var id = "cli-start-" + Guid.NewGuid().ToString("N");

        // Act: start with an id and JSON input, read it back, send the event it waits for.
        var started = await _hub.RunAsync("start-new", "--function-name", Wait, "--id", id, "--input", """{"n":1}""", "--json");
        await _hub.Server.Client.WaitForInstanceStartAsync(id);
        var running = await _hub.RunAsync("get-runtime-status", "--id", id, "--show-input", "--json");
        var raised = await _hub.RunAsync("raise-event", "--id", id, "--event-name", "Go", "--event-data", "\"yes\"");
        var done = await _hub.Server.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true);
        var status = await _hub.RunAsync("get-runtime-status", "--id", id, "--show-output", "--json");
        var history = await _hub.RunAsync("get-history", "--id", id, "--json");
        var historyTable = await _hub.RunAsync("get-history", "--id", id);

        // Assert
        Assert.Equal((0, id), (started.Code, started.Json.GetProperty("instanceId").GetString()));
        Assert.Equal(0, running.Code);
        Assert.Equal("Running", running.Json.GetProperty("runtimeStatus").GetString());
        Assert.Equal(1, running.Json.GetProperty("input").GetProperty("n").GetInt32());
        Assert.False(running.Json.TryGetProperty("output", out _), "output is shown only with --show-output");
        Assert.Equal((0, $"Raised event 'Go' to instance {id}."), (raised.Code, raised.Output.Trim()));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(("Completed", "yes"), (status.Json.GetProperty("runtimeStatus").GetString(), status.Json.GetProperty("output").GetString()));
        Assert.False(status.Json.TryGetProperty("input", out _), "input is shown only with --show-input");
        var events = history.Json.EnumerateArray().ToList();
        Assert.Contains(events, e => e.GetProperty("EventType").GetString() == "EventRaised" && e.GetProperty("Name").GetString() == "Go");
        Assert.Equal("ExecutionCompleted", events[^1].GetProperty("EventType").GetString());
        Assert.Contains("EventRaised", historyTable.Output, StringComparison.Ordinal);
        Assert.Contains($"{events.Count} event(s).", historyTable.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetInstances_FiltersByStatusPrefixAndTime_AndPagesWithTheContinuationToken()
    {
        // Arrange: three finished instances and one running, under one prefix.
        var prefix = "cli-list-" + Guid.NewGuid().ToString("N")[..8] + "-";
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        foreach (var n in new[] { 1, 2, 3 })
        {
            await _hub.Server.Client.ScheduleNewOrchestrationInstanceAsync(Echo, n, new StartOrchestrationOptions(prefix + "done-" + n));
            await _hub.Server.Client.WaitForInstanceCompletionAsync(prefix + "done-" + n);
        }

        await _hub.Server.Client.ScheduleNewOrchestrationInstanceAsync(Wait, null, new StartOrchestrationOptions(prefix + "waiting"));
        await _hub.Server.Client.WaitForInstanceStartAsync(prefix + "waiting");

        // Act
        var first = await _hub.RunAsync("get-instances", "--instance-id-prefix", prefix, "--top", "2", "--json");
        var token = first.Json.GetProperty("continuationToken").GetString()!;
        var rest = await _hub.RunAsync("get-instances", "--instance-id-prefix", prefix, "--top", "2", "--continuation-token", token, "--json");
        var completed = await _hub.RunAsync("get-instances", "--instance-id-prefix", prefix, "--runtime-status", "completed", "--json");
        var runningOrFailed = await _hub.RunAsync("get-instances", "--instance-id-prefix", prefix, "--runtime-status", "Running", "Failed", "--show-input", "--json");
        var inTheFuture = await _hub.RunAsync("get-instances", "--instance-id-prefix", prefix, "--created-after", DateTimeOffset.UtcNow.AddHours(1).ToString("O"), "--json");
        var inTheWindow = await _hub.RunAsync("get-instances", "--instance-id-prefix", prefix, "--created-after", before.ToString("O"), "--created-before", DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"), "--json");
        var table = await _hub.RunAsync("get-instances", "--instance-id-prefix", prefix, "--runtime-status", "Running");

        // Assert
        Assert.Equal(2, Ids(first).Count);
        Assert.Equal(2, Ids(rest).Count);
        Assert.Equal(JsonValueKind.Null, rest.Json.GetProperty("continuationToken").ValueKind);
        Assert.Equal(
            [prefix + "done-1", prefix + "done-2", prefix + "done-3", prefix + "waiting"],
            Ids(first).Concat(Ids(rest)).Order(StringComparer.Ordinal));
        Assert.Equal([prefix + "done-1", prefix + "done-2", prefix + "done-3"], Ids(completed).Order(StringComparer.Ordinal));
        Assert.Equal([prefix + "waiting"], Ids(runningOrFailed));
        Assert.Empty(Ids(inTheFuture));
        Assert.Equal(4, Ids(inTheWindow).Count);
        Assert.Contains("INSTANCE ID", table.Output, StringComparison.Ordinal);
        Assert.Contains(prefix + "waiting", table.Output, StringComparison.Ordinal);
        Assert.Contains("1 instance(s).", table.Output, StringComparison.Ordinal);

        await _hub.Server.Client.TerminateInstanceAsync(prefix + "waiting");
    }

    [Fact]
    public async Task SuspendResumeTerminate_ChangeTheInstance_AndAFinishedOneIsAConflict()
    {
        // Arrange
        var id = "cli-control-" + Guid.NewGuid().ToString("N");
        await _hub.Server.Client.ScheduleNewOrchestrationInstanceAsync(Wait, null, new StartOrchestrationOptions(id));
        await _hub.Server.Client.WaitForInstanceStartAsync(id);

        // Act and assert, step by step; each change is in the hub's audit log.
        Assert.Equal(0, (await _hub.RunAsync("suspend", "--id", id, "--reason", "looking")).Code);
        await WaitForStatusAsync(id, OrchestrationRuntimeStatus.Suspended);
        Assert.Equal(0, (await _hub.RunAsync("resume", "--id", id, "--reason", "done looking")).Code);
        await WaitForStatusAsync(id, OrchestrationRuntimeStatus.Running);
        var terminated = await _hub.RunAsync("terminate", "--id", id, "--reason", "stop it", "--json");
        var done = await _hub.Server.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true);
        var again = await _hub.RunAsync("terminate", "--id", id);
        var history = await _hub.RunAsync("get-history", "--id", id, "--json");

        Assert.Equal((0, id), (terminated.Code, terminated.Json.GetProperty("instanceId").GetString()));
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, done.RuntimeStatus);
        Assert.Equal(DurableExitCodes.Conflict, again.Code);
        Assert.Contains("already finished", again.Error, StringComparison.Ordinal);
        var types = history.Json.EnumerateArray().Select(e => e.GetProperty("EventType").GetString()).ToList();
        Assert.Contains("ExecutionSuspended", types);
        Assert.Contains("ExecutionResumed", types);
        var audit = await _hub.Server.Services.GetRequiredService<CompanyHub.Security.IAuditLog>().QueryAsync(new CompanyHub.Security.AuditQuery(Action: "management.post", Top: 1000));
        Assert.Contains(audit, r => r.Target == $"/instances/{id}/terminate" && r.Outcome == "ok");
        Assert.Contains(audit, r => r.Target == $"/instances/{id}/suspend" && r.Outcome == "ok");
        Assert.Contains(audit, r => r.Target == $"/instances/{id}/terminate" && r.Outcome == "refused 410");
        Assert.All(audit.Where(r => r.Target!.StartsWith($"/instances/{id}/", StringComparison.Ordinal)), r => Assert.Equal("admin", r.Actor));
    }

    [Fact]
    public async Task Rewind_FailedInstanceIsRefusedAsNotSupported_OthersAsConflictOrNotFound()
    {
        // Arrange
        var failed = "cli-fail-" + Guid.NewGuid().ToString("N");
        await _hub.Server.Client.ScheduleNewOrchestrationInstanceAsync(Fail, null, new StartOrchestrationOptions(failed));
        await _hub.Server.Client.WaitForInstanceCompletionAsync(failed);
        var running = "cli-rewind-running-" + Guid.NewGuid().ToString("N");
        await _hub.Server.Client.ScheduleNewOrchestrationInstanceAsync(Wait, null, new StartOrchestrationOptions(running));
        await _hub.Server.Client.WaitForInstanceStartAsync(running);

        // Act
        var onFailed = await _hub.RunAsync("rewind", "--id", failed, "--reason", "try again");
        var onRunning = await _hub.RunAsync("rewind", "--id", running);
        var onUnknown = await _hub.RunAsync("rewind", "--id", "cli-no-such-instance");

        // Assert
        Assert.Equal(DurableExitCodes.NotSupported, onFailed.Code);
        Assert.Contains("Rewind is not supported", onFailed.Error, StringComparison.Ordinal);
        Assert.Equal(DurableExitCodes.Conflict, onRunning.Code);
        Assert.Equal(DurableExitCodes.NotFound, onUnknown.Code);
        await _hub.Server.Client.TerminateInstanceAsync(running);
    }

    [Fact]
    public async Task BadInput_EndsWithTheUsageOrNotFoundCode_AndSaysWhy()
    {
        var unknown = await _hub.RunAsync("get-runtime-status", "--id", "cli-no-such-instance");
        var badDate = await _hub.RunAsync("get-instances", "--created-after", "yesterday-ish");
        var badStatus = await _hub.RunAsync("get-instances", "--runtime-status", "Sleeping");
        var badJson = await _hub.RunAsync("start-new", "--function-name", Wait, "--input", "{not json");
        var badTop = await _hub.RunAsync("get-instances", "--top", "0");
        var noId = await _hub.RunAsync("terminate");
        var emptyId = await _hub.RunAsync("get-runtime-status", "--id", "");
        var unknownFunction = await _hub.RunAsync("start-new", "--function-name", "NoSuchOrchestrator");
        var unknownCommand = await _hub.RunAsync("get-everything");
        var bothPurges = await _hub.RunAsync("purge-history", "--id", "x", "--created-after", "2026-01-01T00:00:00Z");
        var taskHubOverHttp = await _hub.RunAsync("delete-task-hub", "--force");

        AssertRefused(unknown, DurableExitCodes.NotFound, "cli-no-such-instance");
        AssertRefused(badDate, DurableExitCodes.Usage, "--created-after: 'yesterday-ish' is not a time");
        AssertRefused(badStatus, DurableExitCodes.Usage, "'Sleeping' is not a runtime status");
        AssertRefused(badJson, DurableExitCodes.Usage, "--input: not JSON");
        AssertRefused(badTop, DurableExitCodes.Usage, "--top must be a whole number from 1 to 1000");
        AssertRefused(noId, DurableExitCodes.Usage, "--id");
        AssertRefused(emptyId, DurableExitCodes.Usage, "--id must not be empty");
        AssertRefused(unknownFunction, DurableExitCodes.Usage, "'NoSuchOrchestrator' doesn't exist");
        AssertRefused(unknownCommand, DurableExitCodes.Usage, "get-everything");
        AssertRefused(bothPurges, DurableExitCodes.Usage, "either --id or the");
        AssertRefused(taskHubOverHttp, DurableExitCodes.Usage, "stopped hub's store");
    }

    [Fact]
    public async Task HostKey_ComesFromTheDataDirectory_AndAWrongOneIsDenied()
    {
        // Act: no --key: the key file of the hub's data directory; then a wrong key.
        var fromDirectory = await DurableCommandTests.RunAsync(null, "get-instances", "--url", _hub.Server.BaseUrl, "--data-dir", _hub.Server.Directory, "--json");
        var wrong = await DurableCommandTests.RunAsync(null, "get-instances", "--url", _hub.Server.BaseUrl, "--key", "not-the-key-of-this-hub", "--json");
        var unreachable = await DurableCommandTests.RunAsync(null, "get-instances", "--url", "http://127.0.0.1:1", "--key", "not-the-key-of-this-hub");

        // Assert
        Assert.Equal(0, fromDirectory.Code);
        Assert.Equal(JsonValueKind.Array, fromDirectory.Json.GetProperty("instances").ValueKind);
        Assert.Equal(DurableExitCodes.Denied, wrong.Code);
        Assert.Contains("refused the host key", wrong.Error, StringComparison.Ordinal);
        Assert.Equal(DurableExitCodes.Failed, unreachable.Code);
        Assert.Contains("Could not reach the hub", unreachable.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PurgeHistory_ByIdAndByTimeAndStatus_LeavesRunningAndOtherStatuses()
    {
        // Arrange: a hub of its own, since a purge by time takes every instance in the window.
        await using var hub = await Hub.StartAsync();
        var prefix = "cli-purge-" + Guid.NewGuid().ToString("N")[..8] + "-";
        var from = DateTimeOffset.UtcNow.AddSeconds(-1);
        foreach (var id in new[] { prefix + "one", prefix + "two", prefix + "three" })
        {
            await hub.Server.Client.ScheduleNewOrchestrationInstanceAsync(Echo, 1, new StartOrchestrationOptions(id));
            await hub.Server.Client.WaitForInstanceCompletionAsync(id);
        }

        await hub.Server.Client.ScheduleNewOrchestrationInstanceAsync(Fail, null, new StartOrchestrationOptions(prefix + "failed"));
        await hub.Server.Client.WaitForInstanceCompletionAsync(prefix + "failed");
        await hub.Server.Client.ScheduleNewOrchestrationInstanceAsync(Wait, null, new StartOrchestrationOptions(prefix + "waiting"));
        await hub.Server.Client.WaitForInstanceStartAsync(prefix + "waiting");

        // Act
        var running = await hub.RunAsync("purge-history", "--id", prefix + "waiting");
        var one = await hub.RunAsync("purge-history", "--id", prefix + "one", "--json");
        var window = await hub.RunAsync("purge-history", "--created-after", from.ToString("O"), "--runtime-status", "Completed", "--json");
        var nothingLeft = await hub.RunAsync("purge-history", "--created-after", from.ToString("O"), "--runtime-status", "Completed", "--json");
        var gone = await hub.RunAsync("get-runtime-status", "--id", prefix + "two");

        // Assert
        Assert.Equal(DurableExitCodes.Conflict, running.Code);
        Assert.Equal((0, 1), (one.Code, one.Json.GetProperty("instancesDeleted").GetInt32()));
        Assert.Equal((0, 2), (window.Code, window.Json.GetProperty("instancesDeleted").GetInt32()));
        Assert.Equal((0, 0), (nothingLeft.Code, nothingLeft.Json.GetProperty("instancesDeleted").GetInt32()));
        Assert.Equal(DurableExitCodes.NotFound, gone.Code);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, (await hub.Server.Client.GetInstanceAsync(prefix + "failed"))!.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await hub.Server.Client.GetInstanceAsync(prefix + "waiting"))!.RuntimeStatus);
    }

    [Fact]
    public async Task DataDir_OnAStoppedHub_ReadsAndChangesItsStore_RefusesWhileItRuns_AndDeletesTheTaskHub()
    {
        // Arrange: a hub with a finished and a waiting instance.
        var hub = await Hub.StartAsync();
        var directory = hub.Server.Directory;
        var masterKey = hub.Server.MasterKey;
        var waiting = "cli-store-" + Guid.NewGuid().ToString("N");
        await hub.Server.Client.ScheduleNewOrchestrationInstanceAsync(Echo, 7, new StartOrchestrationOptions("cli-store-done"));
        await hub.Server.Client.WaitForInstanceCompletionAsync("cli-store-done");
        await hub.Server.Client.ScheduleNewOrchestrationInstanceAsync(Wait, null, new StartOrchestrationOptions(waiting));
        await hub.Server.Client.WaitForInstanceStartAsync(waiting);
        var whileRunning = await RunAsync(null, "get-instances", "--data-dir", directory);
        await hub.DisposeAsync();

        // Act: on the stopped hub's store.
        var list = await RunAsync(null, "get-instances", "--data-dir", directory, "--instance-id-prefix", "cli-store-", "--show-input", "--json");
        var done = await RunAsync(null, "get-runtime-status", "--data-dir", directory, "--id", "cli-store-done", "--show-input", "--show-output", "--json");
        var history = await RunAsync(null, "get-history", "--data-dir", directory, "--id", "cli-store-done", "--json");
        var unknown = await RunAsync(null, "get-runtime-status", "--data-dir", directory, "--id", "cli-no-such-instance");
        var started = await RunAsync(null, "start-new", "--data-dir", directory, "--function-name", "EntityCallOrchestration", "--id", "cli-store-started", "--json");
        var pending = await RunAsync(null, "get-runtime-status", "--data-dir", directory, "--id", "cli-store-started", "--json");
        var rewind = await RunAsync(null, "rewind", "--data-dir", directory, "--id", "cli-store-done");
        var event1 = await RunAsync(null, "raise-event", "--data-dir", directory, "--id", waiting, "--event-name", "Go", "--event-data", """{"from":"store"}""");
        var purge = await RunAsync(null, "purge-history", "--data-dir", directory, "--id", "cli-store-done", "--json");
        var noDirectory = await RunAsync(null, "get-instances", "--data-dir", Path.Combine(directory, "missing"));

        // The event written to the store reaches the instance when the hub runs again.
        await using (var again = await HubServer.StartAsync(directory: directory, masterKey: masterKey, configure: Hub.AddTestOrchestrations))
        {
            var completed = await again.Client.WaitForInstanceCompletionAsync(waiting, getInputsAndOutputs: true);
            Assert.Equal("""{"from":"store"}""", completed.SerializedOutput);
        }

        var unconfirmed = await RunAsync(null, "delete-task-hub", "--data-dir", directory);
        var deleted = await RunAsync(null, "delete-task-hub", "--data-dir", directory, "--force", "--json");
        var afterDelete = await RunAsync(null, "get-instances", "--data-dir", directory);

        // Assert
        Assert.Equal(DurableExitCodes.Conflict, whileRunning.Code);
        Assert.Contains("in use by another host process", whileRunning.Error, StringComparison.Ordinal);
        Assert.Equal(0, list.Code);
        Assert.Equal(new[] { "cli-store-done", waiting }.Order(StringComparer.Ordinal), Ids(list).Order(StringComparer.Ordinal));
        Assert.Equal(7, list.Json.GetProperty("instances").EnumerateArray().Single(i => i.GetProperty("instanceId").GetString() == "cli-store-done").GetProperty("input").GetInt32());
        Assert.Equal(("Completed", 7, 7), (done.Json.GetProperty("runtimeStatus").GetString(), done.Json.GetProperty("input").GetInt32(), done.Json.GetProperty("output").GetInt32()));
        Assert.Equal("ExecutionCompleted", history.Json.EnumerateArray().Last().GetProperty("EventType").GetString());
        Assert.Equal(DurableExitCodes.NotFound, unknown.Code);
        Assert.Equal((0, "cli-store-started"), (started.Code, started.Json.GetProperty("instanceId").GetString()));
        Assert.Equal("Pending", pending.Json.GetProperty("runtimeStatus").GetString());
        Assert.Equal(DurableExitCodes.Conflict, rewind.Code);
        Assert.Equal(0, event1.Code);
        Assert.Equal((0, 1), (purge.Code, purge.Json.GetProperty("instancesDeleted").GetInt32()));
        Assert.Equal(DurableExitCodes.NotFound, noDirectory.Code);
        Assert.Equal(DurableExitCodes.Usage, unconfirmed.Code);
        Assert.Contains("--force", unconfirmed.Error, StringComparison.Ordinal);
        Assert.Equal(0, deleted.Code);
        Assert.Contains(deleted.Json.GetProperty("deleted").EnumerateArray(), f => f.GetString()!.EndsWith(".db", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(directory, "CompanyHub.db")));
        Assert.Equal(DurableExitCodes.NotFound, afterDelete.Code);
        Assert.Contains("no task hub store", afterDelete.Error, StringComparison.OrdinalIgnoreCase);

        // Each change on the store is in the hub's audit log, which the task hub's deletion leaves alone.
        var audit = (await new CompanyHub.Security.SqliteAuditLog(Path.Combine(directory, "audit.db")).QueryAsync(new CompanyHub.Security.AuditQuery(Action: "management.", Top: 100)))
            .Where(r => r.Detail == StoreBackend.AuditDetail).Select(r => (r.Action, r.Target, r.Outcome)).ToList();
        Assert.Contains(("management.post", "/orchestrators/EntityCallOrchestration/cli-store-started", "ok"), audit);
        Assert.Contains(("management.post", $"/instances/{waiting}/raiseEvent/Go", "ok"), audit);
        Assert.Contains(("management.post", "/instances/cli-store-done/rewind", "refused (exit code 4)"), audit);
        Assert.Contains(("management.delete", "/instances/cli-store-done", "ok"), audit);
        Assert.Contains(("management.delete", "/taskhub", "ok"), audit);
    }

    [Fact]
    public async Task BuiltDll_RunsDurableCommands_WithTheUrlAndKeyOfItsSettings()
    {
        // Arrange: the hub as a process, and the command as another, given only what the container has (ASPNETCORE_URLS, DATA_DIR).
        var location = HubLocation.Create();
        await using var hub = await HubChild.StartAsync(location, []);

        // Act
        var list = await RunDllAsync(location, "durable", "get-instances", "--json");
        var unknown = await RunDllAsync(location, "durable", "get-runtime-status", "--id", "cli-no-such-instance");
        var help = await RunDllAsync(location, "durable", "purge-history", "--help");

        // Assert
        Assert.True(list.Code == 0, list.Error);
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(list.Output).RootElement.GetProperty("instances").ValueKind);
        Assert.Equal(DurableExitCodes.NotFound, unknown.Code);
        Assert.Contains("cli-no-such-instance", unknown.Error, StringComparison.Ordinal);
        Assert.Equal(0, help.Code);
        Assert.Contains("--created-before", help.Output, StringComparison.Ordinal);
        var key = await File.ReadAllTextAsync(Path.Combine(location.Directory, "host-admin.key"));
        Assert.DoesNotContain(key.Trim(), list.Output + list.Error + unknown.Output + unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DataDir_OnPostgres_WorksBesideARunningHub_AndDeleteTaskHubIsNotSupported()
    {
        // Arrange: a hub process on a PostgreSQL schema of its own; the command as another process with the same settings.
        var connectionString = TestPostgres.ConnectionString();
        var schema = "cli_" + Guid.NewGuid().ToString("N");
        KeyValuePair<string, string?>[] settings =
        [
            new("AzureFunctionsJobHost:extensions:durableTask:storageProvider:type", "postgres"),
            new("AzureFunctionsJobHost:extensions:durableTask:storageProvider:schemaName", schema),
            new("POSTGRES_CONNECTION", connectionString),
        ];
        var location = HubLocation.Create();
        try
        {
            await using var hub = await HubChild.StartAsync(location, settings);

            // Act: start an app orchestration through the store while the hub runs; the hub's worker runs it.
            var id = "cli-pg-" + Guid.NewGuid().ToString("N");
            var started = await RunDllAsync(location, settings, "durable", "start-new", "--data-dir", location.Directory, "--function-name", "EntityCallOrchestration", "--id", id, "--input", """{"entity":"x"}""", "--json");
            Result status = null!;
            await HubFlows.WaitUntilAsync(
                async () => (status = await RunDllAsync(location, [], "durable", "get-runtime-status", "--id", id, "--json")).Code == 0
                    && status.Json.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed",
                () => $"the hub to run {id}: {status?.Output}{status?.Error}");
            var listed = await RunDllAsync(location, settings, "durable", "get-instances", "--data-dir", location.Directory, "--instance-id-prefix", id, "--json");
            var delete = await RunDllAsync(location, settings, "durable", "delete-task-hub", "--data-dir", location.Directory, "--force");

            // Assert
            Assert.True(started.Code == 0, started.Error);
            Assert.Equal(id, started.Json.GetProperty("instanceId").GetString());
            Assert.Equal([id], Ids(listed));
            Assert.Equal(DurableExitCodes.NotSupported, delete.Code);
            Assert.Contains("SQLite store only", delete.Error, StringComparison.Ordinal);
        }
        finally
        {
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private static void AssertRefused(Result result, int code, string message)
    {
        Assert.True(result.Code == code, $"expected exit code {code}, got {result.Code}: {result.Error}");
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Output);
    }

    private async Task WaitForStatusAsync(string id, OrchestrationRuntimeStatus status) =>
        await HubFlows.WaitUntilAsync(async () => (await _hub.Server.Client.GetInstanceAsync(id))?.RuntimeStatus == status, () => $"{id} to be {status}");

    private static List<string> Ids(Result result) =>
        [.. result.Json.GetProperty("instances").EnumerateArray().Select(i => i.GetProperty("instanceId").GetString()!)];

    /// <summary>Runs the command in this process; a key given is checked never to be printed.</summary>
    private static async Task<Result> RunAsync(string? key, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await DurableCommand.RunAsync(args, output, error);
        var result = new Result(code, output.ToString(), error.ToString());
        if (key is not null)
        {
            Assert.DoesNotContain(key, result.Output + result.Error, StringComparison.Ordinal);
        }

        return result;
    }

    private static Task<Result> RunDllAsync(HubLocation location, params string[] args) => RunDllAsync(location, [], args);

    /// <summary>Runs <c>dotnet CompanyHub.dll</c> with the environment of the hub at <paramref name="location"/> (ASPNETCORE_URLS, DATA_DIR) and <paramref name="settings"/>.</summary>
    private static async Task<Result> RunDllAsync(HubLocation location, IEnumerable<KeyValuePair<string, string?>> settings, params string[] args)
    {
        var start = HubLaunch.StartInfo(HubChild.HubDirectory, location.BaseUrl, location.Directory, location.MasterKey);
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        start.ArgumentList.Clear();
        start.ArgumentList.Add(Path.Combine(HubChild.HubDirectory, "CompanyHub.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ASPNETCORE_URLS"] = location.BaseUrl;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await output, await error);
    }

    public sealed record Result(int Code, string Output, string Error)
    {
        public JsonElement Json => JsonDocument.Parse(Output).RootElement;
    }

    /// <summary>A hub with three test orchestrations: one waits for the event "Go" and returns its data, one echoes its input, one fails.</summary>
    public sealed class Hub : IAsyncLifetime, IAsyncDisposable
    {
        private HubServer? _server;

        public HubServer Server => _server ?? throw new InvalidOperationException("The hub has not started.");

        private string Key => File.ReadAllText(Path.Combine(Server.Directory, "host-admin.key")).Trim();

        public static async Task<Hub> StartAsync()
        {
            var hub = new Hub();
            await hub.InitializeAsync();
            return hub;
        }

        public static void AddTestOrchestrations(WebApplicationBuilder builder) =>
            builder.Services.AddOptions<DurableTaskRegistry>(Options.DefaultName).Configure(r => r
                .AddOrchestratorFunc<JsonElement?, JsonElement?>(Wait, async (context, _) => await context.WaitForExternalEvent<JsonElement?>("Go"))
                .AddOrchestratorFunc<JsonElement?, JsonElement?>(Echo, (_, input) => Task.FromResult(input))
                .AddOrchestratorFunc<JsonElement?, JsonElement?>(Fail, (Func<TaskOrchestrationContext, JsonElement?, Task<JsonElement?>>)((_, _) => throw new InvalidOperationException("This test orchestration fails."))));

        /// <summary>Runs a command against this hub's management API with its host key (never printed).</summary>
        public Task<Result> RunAsync(params string[] args) => DurableCommandTests.RunAsync(Key, [.. args, "--url", Server.BaseUrl, "--key", Key]);

        public async Task InitializeAsync() => _server = await HubServer.StartAsync(configure: AddTestOrchestrations);

        async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

        public async ValueTask DisposeAsync()
        {
            if (_server is { } server)
            {
                _server = null;
                await server.DisposeAsync();
            }
        }
    }
}
