namespace Serverless.Functions;

/// <summary>Why the host refuses one function.</summary>
/// <param name="FunctionName">The function name, or the method name when the name itself is the problem.</param>
/// <param name="EntryPoint">The method (<c>Namespace.Type.Method</c>) or class.</param>
/// <param name="Reason">What is wrong and how to fix it.</param>
public sealed record FunctionIndexingError(string FunctionName, string EntryPoint, string Reason)
{
    /// <inheritdoc/>
    public override string ToString() => $"Function '{FunctionName}' ({EntryPoint}): {Reason}";
}
