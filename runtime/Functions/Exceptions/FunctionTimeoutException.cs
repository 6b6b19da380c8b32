namespace Serverless.Functions;

/// <summary>A function ran longer than host.json's <c>functionTimeout</c>; its result is discarded.</summary>
public sealed class FunctionTimeoutException : FunctionsHostException
{
    /// <summary>Initializes a new instance of the <see cref="FunctionTimeoutException"/> class.</summary>
    public FunctionTimeoutException(string functionName, TimeSpan timeout, Exception? innerException = null)
        : base($"Function '{functionName}' did not finish within the functionTimeout of {timeout:c} (host.json).", innerException)
    {
        FunctionName = functionName;
        Timeout = timeout;
    }

    /// <summary>Gets the function name.</summary>
    public string FunctionName { get; }

    /// <summary>Gets the timeout.</summary>
    public TimeSpan Timeout { get; }
}
