namespace Serverless.Functions.Management;

/// <summary>
/// Sorts what <c>DurableTaskClient</c> throws into the answers of the management API. Microsoft's client API names
/// no exception for these cases, so they are recognised here, in one place: DTFx's
/// <see cref="global::DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException"/>, and this runtime's store client's
/// exceptions by their type names (<c>OrchestrationAlreadyExistsException</c>, <c>OrchestrationNotFoundException</c>,
/// <c>OrchestrationStateConflictException</c>), so that the host does not depend on where the store client keeps them.
/// </summary>
internal static class ClientErrors
{
    /// <summary>Gets whether starting or restarting failed because a non-terminal instance with the id exists (409).</summary>
    public static bool IsAlreadyExists(Exception exception) =>
        exception is global::DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException || Named(exception, "OrchestrationAlreadyExistsException");

    /// <summary>Gets whether the instance does not exist (404).</summary>
    public static bool IsNotFound(Exception exception) => Named(exception, "OrchestrationNotFoundException");

    /// <summary>Gets whether the instance is in a state that forbids the operation, e.g. it already finished (410).</summary>
    public static bool IsStateConflict(Exception exception) => Named(exception, "OrchestrationStateConflictException");

    private static bool Named(Exception exception, string name)
    {
        for (var type = exception.GetType(); type is not null && type != typeof(Exception); type = type.BaseType)
        {
            if (type.Name == name)
            {
                return true;
            }
        }

        return false;
    }
}
