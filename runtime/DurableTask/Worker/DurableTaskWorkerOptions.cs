namespace Serverless.DurableTask.Worker;

/// <summary>Options of the durable task worker.</summary>
public sealed class DurableTaskWorkerOptions
{
    /// <summary>Gets or sets the task hub name. Default is <c>CompanyHub</c>.</summary>
    public string HubName { get; set; } = "CompanyHub";

    /// <summary>Gets or sets how many orchestration and entity steps run at once. Default is 8 per processor.</summary>
    public int MaxConcurrentOrchestratorFunctions { get; set; } = Environment.ProcessorCount * 8;

    /// <summary>Gets or sets how many activities run at once. Default is 10 per processor.</summary>
    public int MaxConcurrentActivityFunctions { get; set; } = Environment.ProcessorCount * 10;

    /// <summary>Gets or sets whether idle instances stay cached between steps, so a long chain does not replay from the start. Default is true.</summary>
    public bool ExtendedSessionsEnabled { get; set; } = true;

    /// <summary>Gets or sets how long a cached instance may stay idle. Default is 30 seconds.</summary>
    public TimeSpan ExtendedSessionIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how many instances the session cache holds at most. Default is 2,000.</summary>
    public int ExtendedSessionCacheSize { get; set; } = 2000;

    /// <summary>Gets or sets how long a work item is leased before another worker may take it. Default is 60 seconds.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets or sets after how many deliveries a message that keeps failing is dead-lettered. Default is 5.</summary>
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>Gets or sets how long finished instances are kept before they are purged. Default is 30 days; <see cref="Timeout.InfiniteTimeSpan"/> keeps them.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Gets or sets how often retention runs. Default is one hour.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets or sets how long running activities may finish when the host stops. Default is 10 seconds.</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets the converter for inputs, outputs and state. Default is <see cref="JsonDataConverter.Default"/>.</summary>
    public DataConverter DataConverter { get; set; } = JsonDataConverter.Default;

    /// <summary>
    /// Gets or sets the wall clock of orchestration time, timers and message visibility (the worker, the client and the
    /// SQLite store read it). Default is <see cref="TimeProvider.System"/>; tests move it to check clock jumps. Leases
    /// do not read it: they run on the monotonic clock, so a jump never expires one early.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
