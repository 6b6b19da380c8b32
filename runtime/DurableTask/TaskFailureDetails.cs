namespace Serverless.DurableTask;

/// <summary>Describes an error that made a task, a sub-orchestration or an orchestration fail.</summary>
/// <param name="ErrorType">The full name of the exception type.</param>
/// <param name="ErrorMessage">The exception's message.</param>
/// <param name="StackTrace">The stack trace, when there is one.</param>
/// <param name="InnerFailure">The inner failure, when there is one.</param>
public sealed record TaskFailureDetails(string ErrorType, string ErrorMessage, string? StackTrace = null, TaskFailureDetails? InnerFailure = null)
{
    /// <summary>Gets whether the failure was caused by an exception of type <typeparamref name="T"/> (or a subtype).</summary>
    public bool IsCausedBy<T>()
        where T : Exception
    {
        var type = Type.GetType(ErrorType, throwOnError: false)
            ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(ErrorType, throwOnError: false)).FirstOrDefault(t => t is not null);
        return type is not null && typeof(T).IsAssignableFrom(type);
    }

    /// <summary>Creates failure details from an exception.</summary>
    public static TaskFailureDetails FromException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is TaskFailedException tfe)
        {
            return new TaskFailureDetails(tfe.GetType().FullName!, tfe.Message, tfe.StackTrace, tfe.FailureDetails);
        }

        return new TaskFailureDetails(
            exception.GetType().FullName ?? exception.GetType().Name,
            exception.Message,
            exception.StackTrace,
            exception.InnerException is null ? null : FromException(exception.InnerException));
    }

    /// <inheritdoc/>
    public override string ToString() => $"{ErrorType}: {ErrorMessage}";
}
