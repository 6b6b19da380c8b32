using System.Reflection;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Worker;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.Functions.Durable;

/// <summary>
/// The one place that reaches into Microsoft's <see cref="TaskEntityDispatcher"/>, which has no public constructor
/// (<c>internal TaskEntityDispatcher(string request, IServiceProvider services, ExtendedSessionsCache? cache)</c>)
/// and returns its outcome through an internal <c>Result</c> property. Microsoft's isolated worker hands the
/// dispatcher a whole entity batch (a base64 <c>EntityBatchRequest</c>); this host's worker runs entities one
/// operation at a time through <see cref="ITaskEntity"/>, so each operation becomes a batch of one: the current
/// state, the operation and its input go in; the new state, the result or failure, and the signals and
/// orchestration starts come out and are applied to the outer operation. The test
/// <c>TaskEntityDispatcherAdapterTests</c> fails when a package upgrade changes any of this.
/// </summary>
internal static class TaskEntityDispatcherAdapter
{
    private const BindingFlags Internal = BindingFlags.Instance | BindingFlags.NonPublic;

    private static readonly ConstructorInfo? Constructor =
        typeof(TaskEntityDispatcher).GetConstructor(Internal, [typeof(string), typeof(IServiceProvider), typeof(ExtendedSessionsCache)]);

    private static readonly PropertyInfo? ResultProperty = typeof(TaskEntityDispatcher).GetProperty("Result", Internal);

    /// <summary>Gets why the adapter cannot work with the installed package; null when it can.</summary>
    public static string? Incompatibility =>
        Constructor is null ? $"{Package}: TaskEntityDispatcher has no internal constructor (string request, IServiceProvider services, ExtendedSessionsCache cache) any more."
        : ResultProperty is null || ResultProperty.PropertyType != typeof(string) ? $"{Package}: TaskEntityDispatcher has no internal string property 'Result' any more."
        : null;

    private static string Package => $"Microsoft.Azure.Functions.Worker.Extensions.DurableTask {typeof(TaskEntityDispatcher).Assembly.GetName().Version}";

    /// <summary>Creates a dispatcher for one encoded <c>EntityBatchRequest</c>.</summary>
    public static TaskEntityDispatcher Create(string encodedRequest, IServiceProvider services)
    {
        ThrowIfIncompatible();
        return (TaskEntityDispatcher)Constructor!.Invoke([encodedRequest, services, null]);
    }

    /// <summary>Reads the encoded <c>EntityBatchResult</c>; empty when the function never called <c>DispatchAsync</c>.</summary>
    public static string ReadResult(TaskEntityDispatcher dispatcher)
    {
        ThrowIfIncompatible();
        return (string?)ResultProperty!.GetValue(dispatcher) ?? string.Empty;
    }

    /// <summary>Encodes one operation of <paramref name="operation"/>'s entity, with its current state, as a batch request.</summary>
    public static string EncodeRequest(TaskEntityOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var request = new P.EntityBatchRequest
        {
            InstanceId = operation.Context.Id.ToString(),
            EntityState = operation.State.HasState ? Json(operation.State.GetState(typeof(JsonElement))) : null,
        };
        request.Operations.Add(new P.OperationRequest
        {
            Operation = operation.Name,
            RequestId = Guid.NewGuid().ToString(),
            Input = operation.HasInput ? Json(operation.GetInput(typeof(JsonElement))) : null,
        });
        return request.ToByteString().ToBase64();
    }

    /// <summary>
    /// Applies an encoded batch result of one operation to the outer operation: its state, its signals and
    /// orchestration starts; returns the operation's result (as JSON) or throws its failure.
    /// </summary>
    public static object? ApplyResult(string encodedResult, TaskEntityOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var result = P.EntityBatchResult.Parser.ParseFrom(ByteString.FromBase64(encodedResult));
        if (result.FailureDetails is { } batchFailure)
        {
            throw new EntityFunctionFailedException(operation, batchFailure);
        }

        if (result.Results.Count != 1)
        {
            throw new InvalidOperationException($"{Package}: a batch of one operation came back with {result.Results.Count} results; the entity dispatcher's behaviour changed.");
        }

        var outcome = result.Results[0];
        if (outcome.ResultTypeCase == P.OperationResult.ResultTypeOneofCase.Failure)
        {
            throw new EntityFunctionFailedException(operation, outcome.Failure.FailureDetails);
        }

        operation.State.SetState(result.EntityState is null ? null : Parse(result.EntityState));
        foreach (var action in result.Actions)
        {
            switch (action.OperationActionTypeCase)
            {
                case P.OperationAction.OperationActionTypeOneofCase.SendSignal:
                    var signal = action.SendSignal;
                    operation.Context.SignalEntity(
                        EntityInstanceId.FromString(signal.InstanceId),
                        signal.Name,
                        signal.Input is null ? null : Parse(signal.Input),
                        new SignalEntityOptions { SignalTime = Time(signal.ScheduledTime) });
                    break;
                case P.OperationAction.OperationActionTypeOneofCase.StartNewOrchestration:
                    var start = action.StartNewOrchestration;
                    operation.Context.ScheduleNewOrchestration(
                        new TaskName(start.Name),
                        start.Input is null ? null : Parse(start.Input),
                        new StartOrchestrationOptions(start.InstanceId, Time(start.ScheduledTime)));
                    break;
                default:
                    throw new InvalidOperationException($"{Package}: the entity dispatcher produced an action of kind {action.OperationActionTypeCase}, which this host does not know.");
            }
        }

        return outcome.Success.Result is null ? null : Parse(outcome.Success.Result);
    }

    private static void ThrowIfIncompatible()
    {
        if (Incompatibility is { } reason)
        {
            throw new InvalidOperationException($"[EntityTrigger] functions cannot run: {reason} Use a class-based entity (AddTasks(r => r.AddEntity<T>()) or [DurableTask]) or update TaskEntityDispatcherAdapter.");
        }
    }

    private static string? Json(object? value) => value is null ? null : JsonSerializer.Serialize(value);

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static DateTimeOffset? Time(Timestamp? timestamp) => timestamp is null ? null : timestamp.ToDateTimeOffset();
}

/// <summary>An operation of an <c>[EntityTrigger]</c> function failed; the message carries the original error type and message.</summary>
internal sealed class EntityFunctionFailedException(TaskEntityOperation operation, P.TaskFailureDetails? failure)
    : Exception($"Operation '{operation.Name}' on entity {operation.Context.Id} failed: {failure?.ErrorType}: {failure?.ErrorMessage}")
{
    /// <summary>Gets the type name of the exception the entity threw.</summary>
    public string? ErrorType { get; } = failure?.ErrorType;
}
