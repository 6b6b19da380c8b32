namespace Serverless.DurableTask;

/// <summary>The runtime status of an orchestration instance (the values and numbers of the Durable Task SDK).</summary>
public enum OrchestrationRuntimeStatus
{
    /// <summary>The orchestration is running.</summary>
    Running = 0,

    /// <summary>The orchestration completed normally.</summary>
    Completed = 1,

    /// <summary>The orchestration restarted itself with new input.</summary>
    ContinuedAsNew = 2,

    /// <summary>The orchestration failed with an error.</summary>
    Failed = 3,

    /// <summary>Not used; kept for parity with the SDK's numbering.</summary>
    Canceled = 4,

    /// <summary>The orchestration was terminated.</summary>
    Terminated = 5,

    /// <summary>The orchestration was scheduled but has not started.</summary>
    Pending = 6,

    /// <summary>The orchestration was suspended.</summary>
    Suspended = 7,
}

/// <summary>Helpers for <see cref="OrchestrationRuntimeStatus"/>.</summary>
public static class OrchestrationRuntimeStatusExtensions
{
    /// <summary>Gets whether the status is final: the instance will not run again unless restarted.</summary>
    public static bool IsTerminal(this OrchestrationRuntimeStatus status) =>
        status is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed
            or OrchestrationRuntimeStatus.Terminated or OrchestrationRuntimeStatus.Canceled;
}
