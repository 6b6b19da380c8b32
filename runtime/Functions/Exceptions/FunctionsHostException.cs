namespace Serverless.Functions;

/// <summary>Base type of every exception the functions host throws on purpose.</summary>
public abstract class FunctionsHostException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="FunctionsHostException"/> class.</summary>
    protected FunctionsHostException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
