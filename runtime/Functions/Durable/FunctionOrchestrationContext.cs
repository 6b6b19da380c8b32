using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;

namespace Serverless.Functions.Durable;

/// <summary>
/// The <see cref="TaskOrchestrationContext"/> an <c>[OrchestrationTrigger]</c> function receives. A function does not
/// declare its input type up front, so the runner hands its input over untyped (a <c>JsonElement</c> from the
/// worker's <see cref="DataConverter"/>); <see cref="GetInput{T}"/> converts it to whatever type the function asks
/// for, with the same converter. Everything else is the runner's own context.
/// </summary>
internal sealed class FunctionOrchestrationContext(TaskOrchestrationContext inner, DataConverter converter, ILoggerFactory loggerFactory)
    : TaskOrchestrationContext
{
    private string? _serializedInput;

    public override TaskName Name => inner.Name;

    public override string InstanceId => inner.InstanceId;

    public override ParentOrchestrationInstance? Parent => inner.Parent;

    public override DateTime CurrentUtcDateTime => inner.CurrentUtcDateTime;

    public override bool IsReplaying => inner.IsReplaying;

    public override string Version => inner.Version;

    public override IReadOnlyDictionary<string, object?> Properties => inner.Properties;

    public override TaskOrchestrationEntityFeature Entities => inner.Entities;

    protected override ILoggerFactory LoggerFactory => loggerFactory;

    public override T GetInput<T>()
    {
        var input = inner.GetInput<object>();
        switch (input)
        {
            case null:
                return default!;
            case T typed:
                return typed;
            default:
                // The raw text is kept once: an orchestrator may read its input as several types.
                _serializedInput ??= input is System.Text.Json.JsonElement json ? json.GetRawText() : converter.Serialize(input);
                return converter.Deserialize<T>(_serializedInput)!;
        }
    }

    public override Guid NewGuid() => inner.NewGuid();

    public override Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null) =>
        inner.CallActivityAsync<TResult>(name, input, options);

    public override Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null) =>
        inner.CallSubOrchestratorAsync<TResult>(orchestratorName, input, options);

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) =>
        inner.ContinueAsNew(newInput, preserveUnprocessedEvents);

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken) => inner.CreateTimer(fireAt, cancellationToken);

    public override void SetCustomStatus(object? customStatus) => inner.SetCustomStatus(customStatus);

    public override void SendEvent(string instanceId, string eventName, object payload) => inner.SendEvent(instanceId, eventName, payload);

    public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default) =>
        inner.WaitForExternalEvent<T>(eventName, cancellationToken);
}
