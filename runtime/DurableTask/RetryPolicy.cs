namespace Serverless.DurableTask;

/// <summary>How a failed activity or sub-orchestration is retried. Retries wait on durable timers.</summary>
public sealed class RetryPolicy
{
    /// <summary>Initializes a new instance of the <see cref="RetryPolicy"/> class.</summary>
    /// <param name="maxNumberOfAttempts">The total number of attempts, including the first; at least 1.</param>
    /// <param name="firstRetryInterval">The delay before the first retry; greater than zero.</param>
    /// <param name="backoffCoefficient">The factor applied to the delay after each retry; at least 1. Default is 1.</param>
    /// <param name="maxRetryInterval">The longest delay between two attempts. Default is one hour.</param>
    /// <param name="retryTimeout">The time after which no more retries are made. Default is no limit.</param>
    public RetryPolicy(int maxNumberOfAttempts, TimeSpan firstRetryInterval, double backoffCoefficient = 1.0, TimeSpan? maxRetryInterval = null, TimeSpan? retryTimeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNumberOfAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(firstRetryInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(backoffCoefficient, 1.0);
        MaxNumberOfAttempts = maxNumberOfAttempts;
        FirstRetryInterval = firstRetryInterval;
        BackoffCoefficient = backoffCoefficient;
        MaxRetryInterval = maxRetryInterval ?? TimeSpan.FromHours(1);
        RetryTimeout = retryTimeout ?? Timeout.InfiniteTimeSpan;
    }

    /// <summary>Gets the total number of attempts, including the first.</summary>
    public int MaxNumberOfAttempts { get; }

    /// <summary>Gets the delay before the first retry.</summary>
    public TimeSpan FirstRetryInterval { get; }

    /// <summary>Gets the factor applied to the delay after each retry.</summary>
    public double BackoffCoefficient { get; }

    /// <summary>Gets the longest delay between two attempts.</summary>
    public TimeSpan MaxRetryInterval { get; }

    /// <summary>Gets the time after which no more retries are made; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</summary>
    public TimeSpan RetryTimeout { get; }

    /// <summary>Gets or sets a predicate that decides whether a failure is retried. Default is every failure.</summary>
    public Func<TaskFailureDetails, bool>? HandleFailure { get; init; }

    /// <summary>Computes the delay before retry number <paramref name="retryNumber"/> (1-based).</summary>
    public TimeSpan GetDelay(int retryNumber)
    {
        var ticks = FirstRetryInterval.Ticks * Math.Pow(BackoffCoefficient, retryNumber - 1);
        return ticks >= MaxRetryInterval.Ticks ? MaxRetryInterval : TimeSpan.FromTicks((long)ticks);
    }
}

/// <summary>Options for scheduling an activity or a sub-orchestration.</summary>
public class TaskOptions
{
    /// <summary>Initializes a new instance of the <see cref="TaskOptions"/> class.</summary>
    public TaskOptions(RetryPolicy? retry = null)
    {
        Retry = retry;
    }

    /// <summary>Gets the retry policy. Default is no retries.</summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>Creates options with a retry policy.</summary>
    public static TaskOptions FromRetryPolicy(RetryPolicy policy) => new(policy);
}

/// <summary>Options for scheduling a sub-orchestration.</summary>
public sealed class SubOrchestrationOptions : TaskOptions
{
    /// <summary>Initializes a new instance of the <see cref="SubOrchestrationOptions"/> class.</summary>
    public SubOrchestrationOptions(RetryPolicy? retry = null, string? instanceId = null)
        : base(retry)
    {
        InstanceId = instanceId;
    }

    /// <summary>Gets the instance id of the sub-orchestration. Default is a new deterministic GUID.</summary>
    public string? InstanceId { get; init; }
}
