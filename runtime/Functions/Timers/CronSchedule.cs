using System.Diagnostics.CodeAnalysis;
using Cronos;

namespace Serverless.Functions.Timers;

/// <summary>
/// A six-field NCRONTAB schedule, <c>{second} {minute} {hour} {day} {month} {day-of-week}</c>, evaluated in UTC, as
/// Azure Functions' timer trigger takes it. Parsing and the next occurrence are Cronos's
/// (<see cref="CronFormat.IncludeSeconds"/>); this type keeps the six-field rule, the error that names the field,
/// and the shape the timer scheduler and the indexer use.
/// </summary>
public sealed class CronSchedule
{
    private static readonly string[] FieldNames = ["second", "minute", "hour", "day", "month", "day-of-week"];

    private readonly CronExpression _cron;

    private CronSchedule(string expression, CronExpression cron)
    {
        Expression = expression;
        _cron = cron;
    }

    /// <summary>Gets the expression the schedule was parsed from (whitespace normalized).</summary>
    public string Expression { get; }

    /// <summary>Parses an expression.</summary>
    /// <exception cref="Serverless.Functions.CronFormatException">The expression is malformed; the message names the field and the reason.</exception>
    public static CronSchedule Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        return TryParse(expression, out var schedule, out var error) ? schedule : throw new Serverless.Functions.CronFormatException(expression, error);
    }

    /// <summary>Tries to parse an expression; on failure <paramref name="error"/> says what is wrong (and in which field, where it can tell).</summary>
    public static bool TryParse(string expression, [NotNullWhen(true)] out CronSchedule? schedule, [NotNullWhen(false)] out string? error)
    {
        schedule = null;
        if (string.IsNullOrWhiteSpace(expression))
        {
            error = "the expression is empty";
            return false;
        }

        var parts = expression.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != FieldNames.Length)
        {
            error = $"it has {parts.Length} field(s); NCRONTAB needs six, seconds first (e.g. '0 */5 * * * *' for every five minutes)";
            return false;
        }

        var normalized = string.Join(' ', parts);
        try
        {
            schedule = new CronSchedule(normalized, CronExpression.Parse(normalized, CronFormat.IncludeSeconds));
            error = null;
            return true;
        }
        catch (Cronos.CronFormatException ex)
        {
            error = Describe(ex.Message, parts);
            return false;
        }
    }

    /// <summary>Gets the first occurrence strictly after <paramref name="afterUtc"/>, or null when the schedule never fires (e.g. February 30).</summary>
    public DateTime? GetNextOccurrence(DateTime afterUtc) =>
        _cron.GetNextOccurrence(DateTime.SpecifyKind(afterUtc, DateTimeKind.Utc), inclusive: false);

    /// <summary>Gets the occurrences after <paramref name="afterUtc"/> up to and including <paramref name="untilUtc"/>.</summary>
    public IEnumerable<DateTime> GetNextOccurrences(DateTime afterUtc, DateTime untilUtc) =>
        _cron.GetOccurrences(DateTime.SpecifyKind(afterUtc, DateTimeKind.Utc), DateTime.SpecifyKind(untilUtc, DateTimeKind.Utc), fromInclusive: false, toInclusive: true);

    /// <inheritdoc/>
    public override string ToString() => Expression;

    /// <summary>
    /// Cronos says "The given cron expression has an invalid format. Minutes: Value must be …"; this names the field
    /// by its position and text instead, as the rest of the host's start-up errors do.
    /// </summary>
    private static string Describe(string message, string[] parts)
    {
        (string Name, int Field)[] cronosNames = [("Seconds", 0), ("Minutes", 1), ("Hours", 2), ("Days of month", 3), ("Months", 4), ("Days of week", 5)];
        foreach (var (name, field) in cronosNames)
        {
            var at = message.IndexOf($" {name}: ", StringComparison.Ordinal);
            if (at >= 0)
            {
                var detail = message[(at + name.Length + 3)..];
                detail = detail.Length > 0 ? char.ToLowerInvariant(detail[0]) + detail[1..] : detail;
                return $"field {field + 1} ({FieldNames[field]}) '{parts[field]}': {detail}";
            }
        }

        return message;
    }
}
