namespace Serverless.Functions;

/// <summary>
/// Registers a class-based orchestrator (<see cref="DurableTask.TaskOrchestrator{TInput, TOutput}"/>), activity
/// (<see cref="DurableTask.TaskActivity{TInput, TOutput}"/>) or entity (<see cref="DurableTask.Entities.TaskEntity{TState}"/>)
/// found in the app assembly, under <see cref="Name"/> (default: the class name).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class DurableTaskAttribute : Attribute
{
    /// <summary>Initializes a new instance of the <see cref="DurableTaskAttribute"/> class.</summary>
    /// <param name="name">The task name; null for the class name.</param>
    public DurableTaskAttribute(string? name = null)
    {
        Name = name;
    }

    /// <summary>Gets the task name, or null for the class name.</summary>
    public string? Name { get; }
}
