namespace Serverless.Functions;

/// <summary>
/// Marks a public method as a function the host discovers at start-up. The method needs exactly one trigger
/// parameter (<see cref="HttpTriggerAttribute"/>, <see cref="OrchestrationTriggerAttribute"/>,
/// <see cref="ActivityTriggerAttribute"/>, <see cref="EntityTriggerAttribute"/> or <see cref="TimerTriggerAttribute"/>).
/// Instance methods run on an instance of their class created per invocation with constructor injection.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class FunctionAttribute : Attribute
{
    /// <summary>Initializes a new instance of the <see cref="FunctionAttribute"/> class.</summary>
    /// <param name="name">The function name: a letter, then up to 127 letters, digits, '_' or '-'. Unique in the app (case-insensitive).</param>
    public FunctionAttribute(string name)
    {
        Name = name;
    }

    /// <summary>Gets the function name.</summary>
    public string Name { get; }
}
