using Microsoft.DurableTask.Client;

namespace Serverless.DurableTask.Engine;

/// <summary>What the dispatcher and the stores ask of an instance's status.</summary>
internal static class RuntimeStatuses
{
    /// <summary>Gets whether the instance has finished (completed, failed, terminated or cancelled).</summary>
    public static bool IsTerminal(this OrchestrationRuntimeStatus status) =>
        status is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated
#pragma warning disable CS0618 // Cancelled is obsolete in the SDK, but a stored row may still carry it.
            or OrchestrationRuntimeStatus.Canceled;
#pragma warning restore CS0618
}
