using System.Text.Json;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using Serverless.DurableTask.Worker.Entities;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.Entities.Tests;

/// <summary>EntityBatchProcessor on hand-written messages in the shape the 1.28.0 runner emits (see RoundTripTests' output).</summary>
public sealed class ProcessorTests
{
    static readonly DateTime Now = new(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc);
    readonly World _world = new();
    long _id;

    static string Call(string op, string? input, string parent, Guid id, string execution = "exec-1") =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["op"] = op,
            ["input"] = input,
            ["id"] = id,
            ["parent"] = parent,
            ["parentExecution"] = execution,
            ["Timestamp"] = "0001-01-01T00:00:00",
            ["Predecessor"] = "0001-01-01T00:00:00",
            ["IsLockRequest"] = false,
            ["createTrace"] = true,
        });

    static string Lock(string parent, Guid id, int pos, params string[] keys) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["op"] = null,
            ["id"] = id,
            ["parent"] = parent,
            ["parentExecution"] = "exec-1",
            ["Timestamp"] = "0001-01-01T00:00:00",
            ["Predecessor"] = "0001-01-01T00:00:00",
            ["lockset"] = keys.Select(k => new Dictionary<string, string> { ["name"] = "counter", ["key"] = k }).ToArray(),
            ["pos"] = pos,
            ["IsLockRequest"] = true,
            ["createTrace"] = false,
        });

    static string Release(string parent, Guid id) => JsonSerializer.Serialize(new { parent, id = id.ToString() });

    EntityInboundMessage Msg(string name, string? input) => new(++_id, World.Raised(name, input, Now));

    EntityInboundMessage Signal(string op, string? input) =>
        new(++_id, RoundTripTests.ClientSignal("@counter@a", op, input, Now));

    Task<EntityStepResult> Run(string? state, string? scheduler, ITaskEntity? entity, params EntityInboundMessage[] messages) =>
        Run(new EntityBatchProcessor(), state, scheduler, entity, messages);

    Task<EntityStepResult> Run(EntityBatchProcessor processor, string? state, string? scheduler, ITaskEntity? entity, params EntityInboundMessage[] messages) =>
        processor.RunAsync(new EntityStepRequest("@counter@a", state, scheduler, messages, Now), entity, _world.Services);

    static JsonElement Body(EntityOutgoingMessage m) => JsonDocument.Parse(m.Event.EventRaised.Input).RootElement;

    [Fact]
    public async Task Calls_get_replies_named_by_request_id_and_signals_get_none()
    {
        Guid call = Guid.NewGuid();
        EntityStepResult result = await Run("4", null, new Counter(),
            Signal("add", "1"),
            Msg("op", Call("add", "2", "orch-1", call)));

        Assert.Equal("7", result.EntityState);
        Assert.Null(result.SchedulerState);
        EntityOutgoingMessage reply = Assert.Single(result.Messages);
        Assert.Equal("orch-1", reply.InstanceId);
        Assert.Equal("exec-1", reply.TargetExecutionId);
        Assert.Equal(Now, reply.VisibleAt);
        Assert.Equal(P.HistoryEvent.EventTypeOneofCase.EventRaised, reply.Event.EventTypeCase);
        Assert.Equal(call.ToString("D"), reply.Event.EventRaised.Name);
        Assert.Equal("{\"result\":\"7\"}", reply.Event.EventRaised.Input);
        Assert.Equal(new EntityStepCounts(2, 0, 1, 0, 0, 0, 0, 0), result.Counts);
    }

    [Fact]
    public async Task Malformed_and_unknown_messages_are_dropped_and_the_rest_runs()
    {
        var logger = new ListLogger();
        var processor = new EntityBatchProcessor(logger);
        Guid call = Guid.NewGuid();
        EntityStepResult result = await Run(processor, null, null, new Counter(),
            Msg("op", "{not json"),
            Msg("op", "{\"op\":\"add\",\"input\":\"1\"}"),           // no id
            Msg("op", "{\"op\":\"add\",\"id\":\"" + Guid.NewGuid() + "\"}"), // a call without a parent to answer
            Msg("release", "[1,2]"),
            Msg("hello", "{}"),
            new EntityInboundMessage(++_id, new P.HistoryEvent { EventId = -1, TimerFired = new P.TimerFiredEvent() }),
            Msg("op", Call("add", "5", "orch-1", call)));

        Assert.Equal("5", result.EntityState);
        Assert.Equal(6, result.Counts.Dropped);
        Assert.Single(result.Messages);
        Assert.Equal(6, logger.Entries.Count(e => e.Id == 170));
        Assert.DoesNotContain(logger.Entries, e => e.Message.Contains("not json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Failed_operation_answers_with_failure_details_and_rolls_back_only_itself()
    {
        Guid bump = Guid.NewGuid(), boom = Guid.NewGuid(), bump2 = Guid.NewGuid();
        EntityStepResult result = await Run(null, null, new Thrower(),
            Msg("op", Call("bump", null, "o", bump)),
            Msg("op", Call("boom", null, "o", boom)),
            Msg("op", Call("bump", null, "o", bump2)));

        Assert.Equal("2", result.EntityState);
        Assert.Equal(3, result.Messages.Count);
        Assert.Equal(1, result.Counts.Failed);
        JsonElement failure = Body(result.Messages[1]);
        Assert.Equal(boom.ToString(), result.Messages[1].Event.EventRaised.Name);
        Assert.Equal(JsonValueKind.Null, failure.GetProperty("result").ValueKind);
        JsonElement details = failure.GetProperty("failureDetails");
        Assert.Equal("System.InvalidOperationException", details.GetProperty("ErrorType").GetString());
        Assert.Equal("boom went the entity", details.GetProperty("ErrorMessage").GetString());
        Assert.False(string.IsNullOrEmpty(details.GetProperty("StackTrace").GetString()));
        Assert.Equal("{\"result\":\"2\"}", result.Messages[2].Event.EventRaised.Input);
    }

    [Fact]
    public async Task Unregistered_entity_fails_calls_drops_signals_and_keeps_its_state()
    {
        Guid call = Guid.NewGuid();
        EntityStepResult result = await Run("\"kept\"", null, null,
            Signal("add", "1"),
            Msg("op", Call("get", null, "orch-1", call)));

        Assert.Equal("\"kept\"", result.EntityState);
        EntityOutgoingMessage reply = Assert.Single(result.Messages);
        JsonElement details = Body(reply).GetProperty("failureDetails");
        Assert.Equal("EntityTaskNotFound", details.GetProperty("ErrorType").GetString());
        Assert.Equal("No entity task named 'counter' was found.", details.GetProperty("ErrorMessage").GetString());
        Assert.True(details.GetProperty("IsNonRetriable").GetBoolean());
        Assert.Equal(1, result.Counts.Dropped);
    }

    [Fact]
    public async Task Delete_leaves_no_state_and_an_empty_result()
    {
        EntityStepResult result = await Run("9", null, new Counter(), Signal("delete", null));

        Assert.Null(result.EntityState);
        Assert.True(result.IsEmpty);
    }

    [Fact]
    public async Task Lock_defers_others_lets_the_holder_call_and_release_runs_the_deferred_in_the_same_step()
    {
        Guid lockId = Guid.NewGuid(), holderCall = Guid.NewGuid(), otherCall = Guid.NewGuid();

        // Step 1: the lock request, then a signal and a call from others: locked, both deferred in order.
        EntityStepResult s1 = await Run("1", null, new Counter(),
            Msg("op", Lock("orch-L", lockId, 0, "a")),
            Signal("add", "100"),
            Msg("op", Call("get", null, "orch-other", otherCall)));
        EntityOutgoingMessage granted = Assert.Single(s1.Messages);
        Assert.Equal("orch-L", granted.InstanceId);
        Assert.Equal(lockId.ToString(), granted.Event.EventRaised.Name);
        Assert.Equal("{\"result\":\"Lock Acquisition Completed\"}", granted.Event.EventRaised.Input);
        Assert.Equal("1", s1.EntityState);
        Assert.Equal(2, s1.Counts.Deferred);
        using (JsonDocument scheduler = JsonDocument.Parse(s1.SchedulerState!))
        {
            Assert.Equal("orch-L", scheduler.RootElement.GetProperty("lockedBy").GetString());
            JsonElement[] queue = scheduler.RootElement.GetProperty("queue").EnumerateArray().ToArray();
            Assert.Equal(["add", "get"], queue.Select(q => q.GetProperty("op").GetString()));
        }

        // Step 2: the holder's call runs while locked; the deferred stay.
        EntityStepResult s2 = await Run(s1.EntityState, s1.SchedulerState, new Counter(),
            Msg("op", Call("add", "10", "orch-L", holderCall)));
        Assert.Equal("11", s2.EntityState);
        Assert.Equal("{\"result\":\"11\"}", Assert.Single(s2.Messages).Event.EventRaised.Input);
        Assert.Equal(2, s2.Counts.Deferred);

        // Step 3: a release from someone else is ignored; the holder's release runs the deferred, in order.
        EntityStepResult s3 = await Run(s2.EntityState, s2.SchedulerState, new Counter(),
            Msg("release", Release("orch-other", Guid.NewGuid())),
            Msg("release", Release("orch-L", lockId)));
        Assert.Equal("111", s3.EntityState);
        Assert.Null(s3.SchedulerState);
        EntityOutgoingMessage answer = Assert.Single(s3.Messages);
        Assert.Equal("orch-other", answer.InstanceId);
        Assert.Equal("{\"result\":\"111\"}", answer.Event.EventRaised.Input);
        Assert.Equal(1, s3.Counts.Releases);
    }

    [Fact]
    public async Task Lock_request_is_forwarded_to_the_next_entity_of_the_set_with_everything_else_kept()
    {
        Guid lockId = Guid.NewGuid();
        EntityStepResult result = await Run(null, null, new Counter(), Msg("op", Lock("orch-L", lockId, 0, "a", "b")));

        EntityOutgoingMessage forward = Assert.Single(result.Messages);
        Assert.Equal("@counter@b", forward.InstanceId);
        Assert.Equal("op", forward.Event.EventRaised.Name);
        Assert.Null(forward.TargetExecutionId);
        JsonElement body = Body(forward);
        Assert.Equal(1, body.GetProperty("pos").GetInt32());
        Assert.Equal(lockId, body.GetProperty("id").GetGuid());
        Assert.Equal("orch-L", body.GetProperty("parent").GetString());
        Assert.Equal("exec-1", body.GetProperty("parentExecution").GetString());
        Assert.Equal(2, body.GetProperty("lockset").GetArrayLength());
        Assert.True(body.GetProperty("IsLockRequest").GetBoolean());
        Assert.Equal("{\"lockedBy\":\"orch-L\"}", result.SchedulerState);
    }

    [Fact]
    public async Task Operations_before_a_lock_request_run_first_and_those_after_wait()
    {
        Guid lockId = Guid.NewGuid();
        EntityStepResult result = await Run("0", null, new Counter(),
            Signal("add", "1"),
            Msg("op", Lock("orch-L", lockId, 0, "a")),
            Signal("add", "2"));

        Assert.Equal("1", result.EntityState);
        Assert.Equal(1, result.Counts.Deferred);
        Assert.Equal(1, result.Counts.LocksGranted);
    }

    [Fact]
    public async Task Scheduled_signal_delivered_early_is_sent_again_for_its_time_and_runs_when_due()
    {
        DateTime due = Now.AddMinutes(10);
        var early = new EntityInboundMessage(++_id, RoundTripTests.ClientSignal("@counter@a", "add", "3", Now, due));
        EntityStepResult result = await Run("1", null, new Counter(), early);

        Assert.Equal("1", result.EntityState);
        EntityOutgoingMessage again = Assert.Single(result.Messages);
        Assert.Equal("@counter@a", again.InstanceId);
        Assert.Equal(due, again.VisibleAt);
        Assert.True(EntityMessageNames.TryGetScheduledTime(again.Event.EventRaised.Name, out DateTime named));
        Assert.Equal(due, named);
        Assert.Equal(1, result.Counts.Rescheduled);

        EntityStepResult later = await new EntityBatchProcessor().RunAsync(
            new EntityStepRequest("@counter@a", "1", null, [new EntityInboundMessage(++_id, again.Event)], due),
            new Counter(), _world.Services);
        Assert.Equal("4", later.EntityState);
    }

    [Fact]
    public async Task A_backlog_longer_than_a_step_continues_in_the_next_step()
    {
        var processor = new EntityBatchProcessor(null, maxOperationsPerStep: 2);
        EntityStepResult s1 = await Run(processor, "0", null, new Counter(),
            Signal("add", "1"), Signal("add", "2"), Signal("add", "3"));
        Assert.Equal("3", s1.EntityState);
        Assert.Equal(1, s1.Counts.Deferred);
        EntityOutgoingMessage next = Assert.Single(s1.Messages);
        Assert.Equal(("@counter@a", "continue"), (next.InstanceId, next.Event.EventRaised.Name));

        EntityStepResult s2 = await Run(processor, s1.EntityState, s1.SchedulerState, new Counter(), new EntityInboundMessage(++_id, next.Event));
        Assert.Equal("6", s2.EntityState);
        Assert.Null(s2.SchedulerState);
        Assert.Empty(s2.Messages);
    }

    [Fact]
    public async Task Unreadable_scheduler_state_is_logged_and_reset()
    {
        var logger = new ListLogger();
        EntityStepResult result = await Run(new EntityBatchProcessor(logger), "1", "{broken", new Counter(), Signal("add", "1"));

        Assert.Equal("2", result.EntityState);
        Assert.Null(result.SchedulerState);
        Assert.Contains(logger.Entries, e => e.Id == 175);
    }

    [Fact]
    public async Task Entity_signals_carry_the_entity_as_parent_and_scheduled_ones_are_named_op_at_due()
    {
        DateTimeOffset at = new(Now.AddHours(1));
        string input = JsonSerializer.Serialize(new RelayRequest("z", 4, at));
        EntityStepResult result = await new EntityBatchProcessor().RunAsync(
            new EntityStepRequest("@relay@r", null, null, [Signal("forward", input)], Now), new Relay(), _world.Services);

        EntityOutgoingMessage signal = Assert.Single(result.Messages);
        Assert.Equal("@counter@z", signal.InstanceId);
        Assert.Equal(at.UtcDateTime, signal.VisibleAt);
        Assert.Equal(EntityMessageNames.ScheduledRequest(at.UtcDateTime), signal.Event.EventRaised.Name);
        JsonElement body = Body(signal);
        Assert.True(body.GetProperty("signal").GetBoolean());
        Assert.Equal("add", body.GetProperty("op").GetString());
        Assert.Equal("@relay@r", body.GetProperty("parent").GetString());
        Assert.Equal(at.UtcDateTime, body.GetProperty("due").GetDateTime());
    }

    [Fact]
    public async Task Orchestration_start_becomes_an_ExecutionStarted_event()
    {
        EntityStepResult result = await new EntityBatchProcessor().RunAsync(
            new EntityStepRequest("@starter@s", null, null, [Signal("start", "\"x\"")], Now), new Starter(), _world.Services);

        EntityOrchestrationStart start = Assert.Single(result.OrchestrationStarts);
        Assert.Equal(("EchoOrchestrator", "echo-x", "\"x\""), (start.Name, start.InstanceId, start.Input));
        P.HistoryEvent started = start.ToExecutionStartedEvent(Now);
        Assert.Equal("echo-x", started.ExecutionStarted.OrchestrationInstance.InstanceId);
        Assert.False(string.IsNullOrEmpty(started.ExecutionStarted.OrchestrationInstance.ExecutionId));
        Assert.Null(started.ExecutionStarted.ParentInstance);
    }

    [Fact]
    public async Task Deferred_requests_keep_fields_this_code_does_not_read()
    {
        string json = "{\"op\":\"add\",\"input\":\"1\",\"id\":\"" + Guid.NewGuid() + "\",\"parent\":\"orch-x\","
            + "\"parentTraceContext\":{\"traceParent\":\"00-abc-def-01\"},\"requestTime\":\"2026-12-07T06:32:42.7485858+00:00\"}";
        EntityStepResult result = await Run("0", "{\"lockedBy\":\"orch-L\"}", new Counter(), Msg("op", json));

        Assert.Contains("\"parentTraceContext\":{\"traceParent\":\"00-abc-def-01\"}", result.SchedulerState, StringComparison.Ordinal);
        Assert.Contains("\"requestTime\":\"2026-12-07T06:32:42.7485858+00:00\"", result.SchedulerState, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("@counter@a", true)]
    [InlineData("@counter@", true)]
    [InlineData("counter@a", false)]
    [InlineData("@countera", false)]
    [InlineData("@", false)]
    public void Entity_instance_ids(string id, bool isEntity) => Assert.Equal(isEntity, EntityMessageNames.IsEntityInstanceId(id));

    [Fact]
    public void Scheduled_names_round_trip_and_others_carry_no_time()
    {
        DateTime due = new(2026, 12, 24, 18, 30, 15, 123, DateTimeKind.Utc);
        Assert.Equal("op@2026-12-24T18:30:15.1230000Z", EntityMessageNames.ScheduledRequest(due));
        Assert.True(EntityMessageNames.TryGetScheduledTime(EntityMessageNames.ScheduledRequest(due), out DateTime parsed));
        Assert.Equal(due, parsed);
        Assert.Equal(DateTimeKind.Utc, parsed.Kind);
        Assert.False(EntityMessageNames.TryGetScheduledTime("op", out _));
        Assert.False(EntityMessageNames.TryGetScheduledTime("op@nonsense", out _));
    }

    [Fact]
    public async Task Not_an_entity_id_is_refused() =>
        await Assert.ThrowsAsync<ArgumentException>(() => new EntityBatchProcessor().RunAsync(
            new EntityStepRequest("orch-1", null, null, [], Now), new Counter(), _world.Services));

    sealed class ListLogger : ILogger<EntityBatchProcessor>
    {
        public List<(int Id, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            this.Entries.Add((eventId.Id, formatter(state, exception)));
    }
}
