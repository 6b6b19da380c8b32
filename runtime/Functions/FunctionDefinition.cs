namespace Serverless.Functions;

/// <summary>Describes a discovered function.</summary>
public sealed class FunctionDefinition
{
    internal FunctionDefinition(string name, string entryPoint, FunctionTriggerType trigger, string pathToAssembly)
    {
        Name = name;
        EntryPoint = entryPoint;
        Trigger = trigger;
        PathToAssembly = pathToAssembly;
    }

    /// <summary>Gets the function name.</summary>
    public string Name { get; }

    /// <summary>Gets the method that implements the function: <c>Namespace.Type.Method</c>.</summary>
    public string EntryPoint { get; }

    /// <summary>Gets the kind of trigger.</summary>
    public FunctionTriggerType Trigger { get; }

    /// <summary>Gets the path of the assembly that declares the function.</summary>
    public string PathToAssembly { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({EntryPoint})";
}
