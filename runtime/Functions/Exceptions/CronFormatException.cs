namespace Serverless.Functions;

/// <summary>An NCRONTAB expression is malformed.</summary>
public sealed class CronFormatException : FunctionsHostException
{
    /// <summary>Initializes a new instance of the <see cref="CronFormatException"/> class.</summary>
    public CronFormatException(string expression, string message)
        : base($"'{expression}' is not a valid six-field NCRONTAB expression ({{second}} {{minute}} {{hour}} {{day}} {{month}} {{day-of-week}}): {message}")
    {
        Expression = expression;
        Reason = message;
    }

    /// <summary>Gets the expression.</summary>
    public string Expression { get; }

    /// <summary>Gets what is wrong with it.</summary>
    public string Reason { get; }
}
