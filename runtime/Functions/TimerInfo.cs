namespace Serverless.Functions;

/// <summary>What a timer-triggered function knows about its schedule.</summary>
public sealed class TimerInfo
{
    /// <summary>Gets or sets the persisted schedule status; null when the timer does not use the monitor.</summary>
    public ScheduleStatus? ScheduleStatus { get; set; }

    /// <summary>Gets or sets whether this invocation runs later than its occurrence (it was missed while the host was down).</summary>
    public bool IsPastDue { get; set; }
}

/// <summary>The persisted state of a timer schedule.</summary>
public sealed class ScheduleStatus
{
    /// <summary>Gets or sets the occurrence that ran last (UTC); <see cref="DateTime.MinValue"/> when none has run.</summary>
    public DateTime Last { get; set; }

    /// <summary>Gets or sets the next occurrence (UTC).</summary>
    public DateTime Next { get; set; }

    /// <summary>Gets or sets when the status was written (UTC).</summary>
    public DateTime LastUpdated { get; set; }
}
