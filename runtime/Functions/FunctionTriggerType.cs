namespace Serverless.Functions;

/// <summary>The kind of trigger that starts a function.</summary>
public enum FunctionTriggerType
{
    /// <summary>An HTTP request.</summary>
    Http,

    /// <summary>An orchestration step.</summary>
    Orchestration,

    /// <summary>An activity scheduled by an orchestration.</summary>
    Activity,

    /// <summary>An operation on a durable entity.</summary>
    Entity,

    /// <summary>A timer schedule.</summary>
    Timer,
}
