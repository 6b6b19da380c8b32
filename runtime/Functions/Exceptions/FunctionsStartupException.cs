namespace Serverless.Functions;

/// <summary>The host refused to start because of the functions it found: each error names the function and the reason.</summary>
public sealed class FunctionsStartupException : FunctionsHostException
{
    /// <summary>Initializes a new instance of the <see cref="FunctionsStartupException"/> class.</summary>
    public FunctionsStartupException(IReadOnlyList<FunctionIndexingError> errors)
        : base(BuildMessage(errors))
    {
        Errors = errors;
    }

    /// <summary>Gets the errors, one per refused function.</summary>
    public IReadOnlyList<FunctionIndexingError> Errors { get; }

    private static string BuildMessage(IReadOnlyList<FunctionIndexingError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return $"The functions host cannot start: {errors.Count} function error(s).{Environment.NewLine}" +
            string.Join(Environment.NewLine, errors.Select(e => "  " + e));
    }
}
