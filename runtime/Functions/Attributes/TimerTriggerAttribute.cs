namespace Serverless.Functions;

/// <summary>
/// Runs the function on a six-field NCRONTAB schedule (<c>{second} {minute} {hour} {day} {month} {day-of-week}</c>, UTC),
/// e.g. <c>0 */5 * * * *</c>. Put it on a <see cref="TimerInfo"/> parameter. The schedule may be an app setting
/// reference such as <c>%CleanupSchedule%</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class TimerTriggerAttribute : Attribute
{
    /// <summary>Initializes a new instance of the <see cref="TimerTriggerAttribute"/> class.</summary>
    /// <param name="schedule">The NCRONTAB expression or a <c>%Setting%</c> reference.</param>
    public TimerTriggerAttribute(string schedule)
    {
        Schedule = schedule;
    }

    /// <summary>Gets the schedule expression.</summary>
    public string Schedule { get; }

    /// <summary>Gets or sets whether the function also runs once every time the host starts. Default is false.</summary>
    public bool RunOnStartup { get; set; }

    /// <summary>
    /// Gets or sets whether the schedule's last and next occurrence are persisted, so that each occurrence runs once
    /// across restarts and an occurrence missed while the host was down runs once at start-up. Default is true.
    /// </summary>
    public bool UseMonitor { get; set; } = true;
}
