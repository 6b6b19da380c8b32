using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Logging;
using Serverless.DurableTask.Engine;

namespace Serverless.DurableTask.Worker;

/// <summary>Runs one leased entity work item through the entity protocol and returns its commit.</summary>
internal sealed class EntityStepRunner
{
    public EntityStepRunner(IDurableTaskFactory factory, IServiceProvider services, StoreDurableTaskWorkerOptions options, ILoggerFactory loggerFactory)
    {
        _ = (factory, services, options, loggerFactory);
    }

    public Task<EntityStepResult> RunAsync(OrchestrationWorkItem item, DateTime now) => throw new NotSupportedException("entity protocol: merged from the entities branch");
}

internal sealed record EntityStepResult(OrchestrationCommit Commit, int OperationCount);
