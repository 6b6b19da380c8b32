namespace Serverless.Functions;

/// <summary>Makes the function an orchestrator. Put it on a <see cref="DurableTask.TaskOrchestrationContext"/> parameter.</summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class OrchestrationTriggerAttribute : Attribute
{
}
