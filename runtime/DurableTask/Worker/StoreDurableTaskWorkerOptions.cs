using Microsoft.DurableTask.Worker;

namespace Serverless.DurableTask.Worker;

/// <summary>
/// Options of the worker that runs orchestrations, activities and entities from our stores: Microsoft's
/// <see cref="DurableTaskWorkerOptions"/> (data converter, entity support, timer interval) plus what a store-backed
/// dispatcher needs. Configure with <c>builder.ConfigureStore(o => ...)</c>.
/// </summary>
public sealed class StoreDurableTaskWorkerOptions : DurableTaskWorkerOptions
{
    public StoreDurableTaskWorkerOptions()
    {
        // Our stores hold timers of any length: no need to split long timers into chained ones.
        MaximumTimerInterval = TimeSpan.FromDays(3650);
        EnableEntitySupport = true;
    }

    /// <summary>Gets or sets the task hub's name (shown in logs and the store). Default is "CompanyHub".</summary>
    public string HubName { get; set; } = "CompanyHub";

    /// <summary>Gets or sets how many orchestration and entity steps run at once. Default is 8 per processor.</summary>
    public int MaxConcurrentOrchestratorFunctions { get; set; } = Environment.ProcessorCount * 8;

    /// <summary>Gets or sets how many activities run at once. Default is 10 per processor.</summary>
    public int MaxConcurrentActivityFunctions { get; set; } = Environment.ProcessorCount * 10;

    /// <summary>Gets or sets whether idle orchestrations stay in memory between steps (no replay on the next). Default is true.</summary>
    public bool ExtendedSessionsEnabled { get; set; } = true;

    /// <summary>Gets or sets how long an idle orchestration stays cached. Default is 30 seconds.</summary>
    public TimeSpan ExtendedSessionIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how many idle orchestrations the session cache holds at most. Default is 2000.</summary>
    public int ExtendedSessionCacheSize { get; set; } = 2000;

    /// <summary>Gets or sets the lease on a work item; an unrenewed lease lets another worker take it. Default is 60 seconds.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets or sets after how many deliveries a message that never completes is dead-lettered. Default is 5.</summary>
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>Gets or sets how long finished orchestrations are kept; <see cref="Timeout.InfiniteTimeSpan"/> keeps them. Default is 30 days.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Gets or sets how often retention runs. Default is one hour.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets or sets how long a stopping worker lets running activities finish. Default is 10 seconds.</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets the largest payload a step or an activity may produce, in UTF-8 bytes (default 4 MiB): an activity
    /// whose result is larger fails with <c>PayloadTooLarge</c> (its result is not stored); an orchestration step that
    /// would store a larger output, custom status, activity or sub-orchestration input or event fails the instance instead.
    /// </summary>
    public int MaxPayloadBytes { get; set; } = Engine.PayloadLimit.DefaultMaxBytes;

    /// <summary>Gets or sets the clock (tests replace it). Default is the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
