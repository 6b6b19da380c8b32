namespace Serverless.DurableTask.Upgrade;

/// <summary>
/// The store holds data written by an earlier release that this release cannot take over faithfully. The start stops;
/// the message names the instances and says what to do.
/// </summary>
public sealed class StoreUpgradeException : Exception
{
    public StoreUpgradeException()
    {
    }

    public StoreUpgradeException(string message)
        : base(message)
    {
    }

    public StoreUpgradeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets the instances that could not be converted (empty when the whole store is refused).</summary>
    public IReadOnlyList<string> InstanceIds { get; init; } = [];
}
