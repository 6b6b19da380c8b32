namespace Serverless.Functions;

/// <summary>Binds a <see cref="DurableTask.Client.DurableTaskClient"/> parameter to the host's task hub.</summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class DurableClientAttribute : Attribute
{
    /// <summary>Gets or sets the task hub name. Must be empty or the host's hub: this host serves one hub.</summary>
    public string? TaskHub { get; set; }
}
