using System.Runtime.CompilerServices;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Data.Sqlite;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Grpc;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.DurableTask.Upgrade;
using MS = Microsoft.DurableTask;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.Runtime.Tests;

/// <summary>
/// The upgrade from the JSON history of the release before the SDK move (tests/Fixtures/v1, written by that release):
/// every converted history replays through the SDK's own runner, with the orchestrators rewritten on Microsoft's types,
/// without a non-determinism failure, and completes when the event it waits for arrives.
/// </summary>
public sealed class UpgradeTests
{
    public static TheoryData<string, string, string> WaitingInstances => new()
    {
        { "fx-event-timeout", "Approval:\"yes\"", "order-1:yes" },
        { "fx-activity-event", "Continue:\"go\"", "Hello, fixture!|go" },
        { "fx-parent", "sub:0:\"p-child:go\"", "parent(p-child:go)" },
        { "fx-parent:child", "ChildGo:\"go\"", "p-child:go" },
        { "fx-timer", "timer:0", "timer fired" },
        { "fx-buffered", "First:\"one\"", "one,two" },
        { "fx-entity-caller", "Finish:\"done\"", "8:done" },
        { "fx-continue-as-new", "Stop:\"now\"", "generation 2:now" },
        { "fx-scheduled-start", "", "late:queued" },
    };

    [Theory]
    [MemberData(nameof(WaitingInstances))]
    public void SqliteFixture_ConvertedInstance_ReplaysOnTheSdkAndCompletesWithItsEvent(string instanceId, string arrival, string expected)
    {
        // Arrange
        var converted = LegacyConverter.ConvertInstance(FixtureStore.ReadSqlite(instanceId));
        var (past, pending) = Split(converted);

        // Act: first the step the upgraded store runs when nothing new has arrived (messages already due, if any), then the arrival.
        var idle = Run(instanceId, past, [Started(), .. pending]);
        var done = Run(instanceId, [.. past, Started(), .. pending], [Started(), .. Arrival(arrival)]);

        // Assert
        if (pending.Count == 0)
        {
            Assert.Empty(idle.Actions);
        }

        var complete = Assert.Single(done.Actions, a => a.CompleteOrchestration is not null).CompleteOrchestration;
        Assert.True(complete.OrchestrationStatus == P.OrchestrationStatus.Completed, $"{complete.OrchestrationStatus}: {complete.FailureDetails}");
        Assert.Equal($"\"{expected}\"", complete.Result);
    }

    [Fact]
    public void SqliteFixture_EveryRow_Converts()
    {
        foreach (var instanceId in FixtureStore.InstanceIds())
        {
            var converted = LegacyConverter.ConvertInstance(FixtureStore.ReadSqlite(instanceId));
            foreach (var e in converted.History.Concat(converted.Messages.Select(m => m.Event)))
            {
                Assert.Equal(e, P.HistoryEvent.Parser.ParseFrom(e.ToByteArray()));
                Assert.NotEqual(P.HistoryEvent.EventTypeOneofCase.None, e.EventTypeCase);
            }
        }
    }

    [Fact]
    public void EntityCall_BecomesDtfxRequestAndResponse_WithTheSdksRequestId()
    {
        // Act
        var history = LegacyConverter.ConvertInstance(FixtureStore.ReadSqlite("fx-entity-caller")).History;

        // Assert: the call is an "op" EventSent to the entity, the reply an EventRaised named by the same id ("D").
        var call = Assert.Single(history, e => e.EventSent is { } s && s.Input.Contains("AddAndGet", StringComparison.Ordinal)).EventSent;
        Assert.Equal("@counter@fx", call.InstanceId);
        Assert.Equal("op", call.Name);
        var request = System.Text.Json.Nodes.JsonNode.Parse(call.Input)!;
        var id = request["id"]!.GetValue<string>();
        Assert.Equal("fx-entity-caller", request["parent"]!.GetValue<string>());
        Assert.Null(request["signal"]);
        var reply = Assert.Single(history, e => e.EventRaised?.Name == id).EventRaised;
        Assert.Equal("{\"result\":\"8\"}", reply.Input);
        var signal = Assert.Single(history, e => e.EventSent is { } s && s.Input.Contains("\"Add\"", StringComparison.Ordinal)).EventSent;
        Assert.True(System.Text.Json.Nodes.JsonNode.Parse(signal.Input)!["signal"]!.GetValue<bool>());
    }

    [Fact]
    public void EntityCall_WithARequestIdTheSdkWouldNotMake_RefusesTheInstance()
    {
        // Arrange: the fixture's caller with its call's request id replaced by a random one.
        var legacy = FixtureStore.ReadSqlite("fx-entity-caller");
        var recorded = legacy.History.Select(h => System.Text.Json.Nodes.JsonNode.Parse(h)!["requestId"]?.GetValue<string>()).First(id => id is not null && legacy.History.Count(h => h.Contains(id, StringComparison.Ordinal)) == 2)!;
        var forged = legacy with { History = [.. legacy.History.Select(h => h.Replace(recorded, Guid.NewGuid().ToString("N"), StringComparison.Ordinal))] };

        // Act
        var error = Assert.Throws<StoreUpgradeException>(() => LegacyConverter.ConvertInstance(forged));

        // Assert
        Assert.Equal(["fx-entity-caller"], error.InstanceIds);
        Assert.Contains("fx-entity-caller", error.Message, StringComparison.Ordinal);
        Assert.Contains("previous release", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"t\":\"EntityLockRequested\",\"id\":3,\"ts\":\"2026-12-07T06:28:36.2552731Z\"}")]
    [InlineData("{\"t\":\"TaskScheduled\",\"name\":\"Greet\",\"input\":\"1\",\"retry\":{},\"id\":3,\"ts\":\"2026-12-07T06:28:36.2552731Z\"}")]
    [InlineData("not json")]
    public void UnknownEvent_RefusesTheInstance(string row)
    {
        var legacy = FixtureStore.ReadSqlite("fx-activity-event");
        var error = Assert.Throws<StoreUpgradeException>(() => LegacyConverter.ConvertInstance(legacy with { History = [.. legacy.History, row] }));
        Assert.Contains("fx-activity-event", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PendingContinueAsNew_BecomesStartAndCarriedEventsAsMessages_AheadOfLaterMessages()
    {
        // Arrange: the old engine's state between a ContinueAsNew commit and its wake step (a crash there leaves it at rest).
        const string ts = "2026-12-07T06:28:36.3237504Z";
        var legacy = new LegacyInstance("loop", "e2", [
            $"{{\"t\":\"OrchestratorStarted\",\"id\":-1,\"ts\":\"{ts}\"}}",
            $"{{\"t\":\"ExecutionStarted\",\"name\":\"Looper\",\"input\":\"2\",\"executionId\":\"e2\",\"parentTaskId\":-1,\"id\":-1,\"ts\":\"{ts}\"}}",
            $"{{\"t\":\"EventRaised\",\"name\":\"Stop\",\"input\":\"\\u0022carried\\u0022\",\"id\":-1,\"ts\":\"{ts}\"}}",
        ], [
            new LegacyMessageRow(7, DateTime.UnixEpoch, $"{{\"t\":\"ContinueAsNewStarted\",\"id\":-1,\"ts\":\"{ts}\"}}"),
            new LegacyMessageRow(9, DateTime.UnixEpoch, $"{{\"t\":\"EventRaised\",\"name\":\"Other\",\"id\":-1,\"ts\":\"{ts}\"}}"),
        ]);

        // Act
        var converted = LegacyConverter.ConvertInstance(legacy);

        // Assert
        Assert.True(converted.Requeued);
        Assert.Empty(converted.History);
        Assert.Equal(["ExecutionStarted", "EventRaised:Stop", "EventRaised:Other"], converted.Messages.Select(m => m.Event.EventRaised is { } r ? $"EventRaised:{r.Name}" : m.Event.EventTypeCase.ToString()));
        Assert.All(converted.Messages, m => Assert.Null(m.KeepId));
        var done = Run("loop", [], [Started(), .. converted.Messages.Select(m => m.Event)]);
        Assert.Equal("\"generation 2:carried\"", Assert.Single(done.Actions).CompleteOrchestration.Result);
    }

    [Fact]
    public void TimerFiredMessage_KeepsItsTargetExecutionInTheColumn()
    {
        var converted = LegacyConverter.ConvertInstance(FixtureStore.ReadSqlite("fx-timer"));
        var timer = Assert.Single(converted.Messages);
        Assert.NotNull(timer.KeepId);
        Assert.Equal(P.HistoryEvent.EventTypeOneofCase.TimerFired, timer.Event.EventTypeCase);
        Assert.Equal(converted.History.Single(e => e.ExecutionStarted is not null).ExecutionStarted.OrchestrationInstance.ExecutionId, timer.TargetExecution);
    }

    [Fact]
    public void DeterministicGuid_IsTheOldEnginesRequestId()
    {
        // The fixture's signal was the caller's first NewGuid: instance id, the step's time, counter 0.
        var legacy = FixtureStore.ReadSqlite("fx-entity-caller");
        var signal = System.Text.Json.Nodes.JsonNode.Parse(legacy.History.Single(h => h.Contains("EntityOperationSignaled", StringComparison.Ordinal)))!;
        var step = System.Text.Json.Nodes.JsonNode.Parse(legacy.History[0])!["ts"]!.GetValue<DateTime>();
        Assert.Equal(signal["requestId"]!.GetValue<string>(), LegacyConverter.DeterministicGuid("fx-entity-caller", step.ToUniversalTime(), 0).ToString("N"));
    }

    [Fact]
    public void SqliteMigration_OnTheFixture_ConvertsEveryRowInPlace()
    {
        // Arrange
        var file = FixtureStore.CopySqlite(Path.Combine("sqlite-runtime", "runtime.db"));
        using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();

        // Act
        Serverless.DurableTask.Sqlite.SqliteMigrations.Apply(connection);

        // Assert
        Assert.Equal(Serverless.DurableTask.Sqlite.SqliteMigrations.LatestVersion, Serverless.DurableTask.Sqlite.SqliteMigrations.CurrentVersion(connection));
        using var history = connection.CreateCommand();
        history.CommandText = "SELECT instance_id, typeof(event), event FROM History ORDER BY instance_id, seq";
        var callerHistory = new List<P.HistoryEvent>();
        using (var reader = history.ExecuteReader())
        {
            while (reader.Read())
            {
                Assert.Equal("blob", reader.GetString(1));
                var e = P.HistoryEvent.Parser.ParseFrom((byte[])reader[2]);
                if (reader.GetString(0) == "fx-entity-caller")
                {
                    callerHistory.Add(e);
                }
            }
        }

        Assert.Equal(LegacyConverter.ConvertInstance(FixtureStore.ReadSqlite("fx-entity-caller")).History, callerHistory);
        using var messages = connection.CreateCommand();
        messages.CommandText = "SELECT instance_id, event, target_execution FROM Messages ORDER BY id";
        var rows = new List<(string Instance, P.HistoryEvent Event, string? Target)>();
        using (var reader = messages.ExecuteReader())
        {
            while (reader.Read())
            {
                rows.Add((reader.GetString(0), P.HistoryEvent.Parser.ParseFrom((byte[])reader[1]), reader.IsDBNull(2) ? null : reader.GetString(2)));
            }
        }

        Assert.Contains(rows, r => r.Instance == "fx-timer" && r.Event.TimerFired is not null && r.Target is not null);
        Assert.Equal(["ExecutionStarted", "EventRaised"], rows.Where(r => r.Instance == "fx-scheduled-start").Select(r => r.Event.EventTypeCase.ToString()));
        using var pendingHistory = connection.CreateCommand();
        pendingHistory.CommandText = "SELECT COUNT(*) FROM History WHERE instance_id = 'fx-scheduled-start'";
        Assert.Equal(0L, (long)pendingHistory.ExecuteScalar()!);
    }

    [Fact]
    public void SqliteMigration_PendingActivityInput_BecomesTheRunnersParameterArray_SoAnArrayInputArrivesWhole()
    {
        // Arrange: an activity the previous release had queued with a list as its input, and one with no input.
        var file = FixtureStore.CopySqlite(Path.Combine("sqlite-runtime", "runtime.db"));
        using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        using (var queue = connection.CreateCommand())
        {
            queue.CommandText = "INSERT INTO Tasks (instance_id, execution_id, task_id, name, input, dequeue_count, created_at) VALUES ('fx-list', 'e1', 0, 'Sum', '[1,2,3]', 0, 0), ('fx-none', 'e1', 0, 'Ping', NULL, 0, 0)";
            queue.ExecuteNonQuery();
        }

        // Act
        Serverless.DurableTask.Sqlite.SqliteMigrations.Apply(connection);

        // Assert: the worker strips the runner's wrapper and hands the activity the list it was given.
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT instance_id, input FROM Tasks WHERE instance_id IN ('fx-list', 'fx-none') ORDER BY instance_id";
        using var reader = read.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal("fx-list", reader.GetString(0));
        Assert.Equal("[[1,2,3]]", reader.GetString(1));
        Assert.Equal("[1,2,3]", Serverless.DurableTask.Worker.StoreDurableTaskWorker.ActivityInput(reader.GetString(1)));
        Assert.True(reader.Read());
        Assert.True(reader.IsDBNull(1));
    }

    [Fact]
    public void SqliteMigration_WithAnUnconvertibleRow_RefusesAndLeavesTheStoreAsItWas()
    {
        // Arrange
        var file = FixtureStore.CopySqlite(Path.Combine("sqlite-runtime", "runtime.db"));
        using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        using (var corrupt = connection.CreateCommand())
        {
            corrupt.CommandText = "INSERT INTO History (instance_id, seq, event) VALUES ('fx-buffered', 99, '{\"t\":\"Mystery\",\"id\":-1,\"ts\":\"2026-12-07T06:28:36Z\"}')";
            corrupt.ExecuteNonQuery();
        }

        // Act
        var error = Assert.Throws<StoreUpgradeException>(() => Serverless.DurableTask.Sqlite.SqliteMigrations.Apply(connection));

        // Assert
        Assert.Equal(["fx-buffered"], error.InstanceIds);
        Assert.Contains("Mystery", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Serverless.DurableTask.Sqlite.SqliteMigrations.CurrentVersion(connection));
        using var text = connection.CreateCommand();
        text.CommandText = "SELECT COUNT(*) FROM History WHERE typeof(event) <> 'text'";
        Assert.Equal(0L, (long)text.ExecuteScalar()!);
    }

    [Fact]
    public void SqliteMigration_StoreNewerThanTheCode_Refuses()
    {
        var file = FixtureStore.CopySqlite(Path.Combine("sqlite-runtime", "runtime.db"));
        using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        using (var later = connection.CreateCommand())
        {
            later.CommandText = "INSERT INTO SchemaVersions (version, name, applied_at) VALUES (99, '0099_future', '2030-01-01')";
            later.ExecuteNonQuery();
        }

        var error = Assert.Throws<StoreUpgradeException>(() => Serverless.DurableTask.Sqlite.SqliteMigrations.Apply(connection));
        Assert.Contains("newer than this release", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgresMigration_OnTheFixtureDump_ConvertsEveryRow()
    {
        // Arrange: the dump restored under a schema of this test's own.
        var connectionString = Environment.GetEnvironmentVariable("HUB_TEST_POSTGRES")
            ?? throw new InvalidOperationException("HUB_TEST_POSTGRES is not set: run scripts/services start and eval \"$(scripts/services env)\".");
        var schema = "upgrade_" + Guid.NewGuid().ToString("N")[..12];
        var dump = (await File.ReadAllTextAsync(Path.Combine(FixtureStore.Directory(), "postgres-runtime.sql")))
            .Replace("fixture_v1", schema, StringComparison.Ordinal)
            .Replace("SELECT pg_catalog.set_config('search_path', '', false);", "", StringComparison.Ordinal);
        // psql meta-commands (\restrict of recent pg_dump) are not SQL.
        dump = string.Join('\n', dump.Split('\n').Where(line => !line.StartsWith('\\')));
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var restore = new Npgsql.NpgsqlCommand(dump, connection))
        {
            await restore.ExecuteNonQueryAsync();
        }

        try
        {
            // Act
            await Serverless.DurableTask.Postgres.PostgresMigrations.ApplyAsync(connection, schema, CancellationToken.None);

            // Assert
            await using var read = new Npgsql.NpgsqlCommand($"SELECT h.event FROM \"{schema}\".history h WHERE instance_id = 'fx-entity-caller' ORDER BY seq", connection);
            var history = new List<P.HistoryEvent>();
            await using (var reader = await read.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    history.Add(P.HistoryEvent.Parser.ParseFrom((byte[])reader[0]));
                }
            }

            Assert.Equal(6, history.Count);
            Assert.Equal(2, history.Count(e => e.EventSent?.Name == "op"));
            await using var messages = new Npgsql.NpgsqlCommand($"SELECT instance_id, event, target_execution FROM \"{schema}\".messages ORDER BY id", connection);
            var rows = new List<(string, P.HistoryEvent, string?)>();
            await using (var reader = await messages.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    rows.Add((reader.GetString(0), P.HistoryEvent.Parser.ParseFrom((byte[])reader[1]), reader.IsDBNull(2) ? null : reader.GetString(2)));
                }
            }

            Assert.Contains(rows, r => r.Item1 == "fx-timer" && r.Item2.TimerFired is not null && r.Item3 is not null);
            Assert.Equal(["ExecutionStarted", "EventRaised"], rows.Where(r => r.Item1 == "fx-scheduled-start").Select(r => r.Item2.EventTypeCase.ToString()));
        }
        finally
        {
            await using var drop = new Npgsql.NpgsqlCommand($"DROP SCHEMA \"{schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private static (List<P.HistoryEvent> Past, List<P.HistoryEvent> Pending) Split(ConvertedInstance converted) =>
        ([.. converted.History], [.. converted.Messages.Where(m => m.VisibleAt <= DateTime.UtcNow && m.Event.TimerFired is null).Select(m => m.Event)]);

    private static P.HistoryEvent Started() => new() { EventId = -1, Timestamp = Timestamp.FromDateTime(DateTime.UtcNow), OrchestratorStarted = new() };

    private static IEnumerable<P.HistoryEvent> Arrival(string arrival)
    {
        var now = Timestamp.FromDateTime(DateTime.UtcNow);
        if (arrival.Length == 0)
        {
            yield break;
        }

        var parts = arrival.Split(':', 3);
        yield return parts[0] switch
        {
            "sub" => new P.HistoryEvent { EventId = -1, Timestamp = now, SubOrchestrationInstanceCompleted = new() { TaskScheduledId = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), Result = parts[2] } },
            "timer" => new P.HistoryEvent { EventId = -1, Timestamp = now, TimerFired = new() { TimerId = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), FireAt = now } },
            _ => new P.HistoryEvent { EventId = -1, Timestamp = now, EventRaised = new() { Name = parts[0], Input = arrival[(parts[0].Length + 1)..] } },
        };
    }

    private static P.OrchestratorResponse Run(string instanceId, IEnumerable<P.HistoryEvent> past, IEnumerable<P.HistoryEvent> newEvents)
    {
        var request = new P.OrchestratorRequest
        {
            InstanceId = instanceId,
            EntityParameters = new P.OrchestratorEntityParameters { EntityMessageReorderWindow = Duration.FromTimeSpan(TimeSpan.FromSeconds(30)) },
        };
        request.PastEvents.AddRange(past);
        request.NewEvents.AddRange(newEvents);
        var name = request.PastEvents.Concat(request.NewEvents).First(e => e.ExecutionStarted is not null).ExecutionStarted.Name;
        var services = new ServiceCollection()
            .AddSingleton(new DurableTaskShimFactory(new DurableTaskWorkerOptions { EnableEntitySupport = true }, NullLoggerFactory.Instance))
            .BuildServiceProvider();
        var response = GrpcOrchestrationRunner.LoadAndRun(System.Convert.ToBase64String(request.ToByteArray()), Orchestrators[name](), services);
        var parsed = P.OrchestratorResponse.Parser.ParseFrom(System.Convert.FromBase64String(response));
        Assert.DoesNotContain(parsed.Actions, a => a.CompleteOrchestration?.FailureDetails?.ErrorType?.Contains("NonDeterministic", StringComparison.Ordinal) == true);
        return parsed;
    }

    private static readonly Dictionary<string, Func<MS.ITaskOrchestrator>> Orchestrators = new(StringComparer.Ordinal)
    {
        ["EventWithTimeout"] = () => new EventWithTimeout(),
        ["ActivityThenEvent"] = () => new ActivityThenEvent(),
        ["ParentOrchestration"] = () => new ParentOrchestration(),
        ["ChildOrchestration"] = () => new ChildOrchestration(),
        ["TimerSoon"] = () => new TimerSoon(),
        ["TwoEvents"] = () => new TwoEvents(),
        ["EntityCaller"] = () => new EntityCaller(),
        ["Looper"] = () => new Looper(),
        ["LateStarter"] = () => new LateStarter(),
    };

    // The fixture's orchestrators (tests/Fixtures/v1/README.md), the same logic on Microsoft's types.
    internal sealed class EventWithTimeout : MS.TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(MS.TaskOrchestrationContext context, string input)
        {
            try
            {
                return $"{input}:{await context.WaitForExternalEvent<string>("Approval", TimeSpan.FromDays(7))}";
            }
            catch (TaskCanceledException)
            {
                return $"{input}:timed out";
            }
        }
    }

    internal sealed class ActivityThenEvent : MS.TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(MS.TaskOrchestrationContext context, string input)
        {
            var greeting = await context.CallActivityAsync<string>("Greet", input);
            return $"{greeting}|{await context.WaitForExternalEvent<string>("Continue")}";
        }
    }

    internal sealed class ParentOrchestration : MS.TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(MS.TaskOrchestrationContext context, string input) =>
            $"parent({await context.CallSubOrchestratorAsync<string>("ChildOrchestration", input + "-child", new MS.SubOrchestrationOptions { InstanceId = context.InstanceId + ":child" })})";
    }

    internal sealed class ChildOrchestration : MS.TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(MS.TaskOrchestrationContext context, string input) =>
            $"{input}:{await context.WaitForExternalEvent<string>("ChildGo")}";
    }

    internal sealed class TimerSoon : MS.TaskOrchestrator<int, string>
    {
        public override async Task<string> RunAsync(MS.TaskOrchestrationContext context, int input)
        {
            await context.CreateTimer(context.CurrentUtcDateTime.AddSeconds(input), CancellationToken.None);
            return "timer fired";
        }
    }

    internal sealed class TwoEvents : MS.TaskOrchestrator<object?, string>
    {
        public override async Task<string> RunAsync(MS.TaskOrchestrationContext context, object? input)
        {
            var first = await context.WaitForExternalEvent<string>("First");
            return $"{first},{await context.WaitForExternalEvent<string>("Second")}";
        }
    }

    internal sealed class EntityCaller : MS.TaskOrchestrator<object?, string>
    {
        public override async Task<string> RunAsync(MS.TaskOrchestrationContext context, object? input)
        {
            var counter = new MS.Entities.EntityInstanceId("Counter", "fx");
            await context.Entities.SignalEntityAsync(counter, "Add", 1);
            var value = await context.Entities.CallEntityAsync<int>(counter, "AddAndGet", 2);
            return $"{value}:{await context.WaitForExternalEvent<string>("Finish")}";
        }
    }

    internal sealed class Looper : MS.TaskOrchestrator<int, string>
    {
        public override async Task<string> RunAsync(MS.TaskOrchestrationContext context, int input)
        {
            if (input < 2)
            {
                context.ContinueAsNew(input + 1);
                return "continued";
            }

            return $"generation {input}:{await context.WaitForExternalEvent<string>("Stop")}";
        }
    }

    internal sealed class LateStarter : MS.TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(MS.TaskOrchestrationContext context, string input) =>
            $"{input}:{await context.WaitForExternalEvent<string>("Early")}";
    }

    /// <summary>Reads the committed fixture (a copy, never the file itself) into the converter's input.</summary>
    internal static class FixtureStore
    {
        public static string Directory([CallerFilePath] string source = "") =>
            Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "Fixtures", "v1"));

        public static string CopySqlite(string relative)
        {
            var target = Path.Combine(Path.GetTempPath(), "upgrade-tests", Guid.NewGuid().ToString("N"));
            System.IO.Directory.CreateDirectory(target);
            var file = Path.Combine(target, Path.GetFileName(relative));
            File.Copy(Path.Combine(Directory(), relative), file);
            return file;
        }

        public static IReadOnlyList<string> InstanceIds()
        {
            using var connection = Open();
            return [.. Strings(connection, "SELECT instance_id FROM Instances UNION SELECT instance_id FROM Messages ORDER BY 1", null)];
        }

        public static LegacyInstance ReadSqlite(string instanceId)
        {
            using var connection = Open();
            var execution = Strings(connection, "SELECT execution_id FROM Instances WHERE instance_id = $id", instanceId).SingleOrDefault();
            var history = Strings(connection, "SELECT event FROM History WHERE instance_id = $id ORDER BY seq", instanceId);
            var messages = new List<LegacyMessageRow>();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT id, visible_at, event FROM Messages WHERE instance_id = $id ORDER BY id";
            command.Parameters.AddWithValue("$id", instanceId);
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    messages.Add(new LegacyMessageRow(reader.GetInt64(0), DateTime.UnixEpoch.AddMilliseconds(reader.GetInt64(1)), reader.GetString(2)));
                }
            }

            return new LegacyInstance(instanceId, execution, history, messages);
        }

        private static SqliteConnection Open()
        {
            var connection = new SqliteConnection($"Data Source={Path.Combine(Directory(), "sqlite-runtime", "runtime.db")};Mode=ReadOnly;Pooling=False");
            connection.Open();
            return connection;
        }

        private static List<string> Strings(SqliteConnection connection, string sql, string? id)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            if (id is not null)
            {
                command.Parameters.AddWithValue("$id", id);
            }

            using var reader = command.ExecuteReader();
            var list = new List<string>();
            while (reader.Read())
            {
                list.Add(reader.GetString(0));
            }

            return list;
        }
    }
}
