using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Serverless.Functions.Timers;

/// <summary>
/// A six-field NCRONTAB schedule, <c>{second} {minute} {hour} {day} {month} {day-of-week}</c>, evaluated in UTC.
/// Each field takes <c>*</c>, a value, a range <c>a-b</c>, a step <c>*/n</c>, <c>a-b/n</c> or <c>a/n</c>, and
/// comma-separated lists of these. Months take <c>JAN</c>–<c>DEC</c>, days of week <c>SUN</c>–<c>SAT</c> or 0–6 (Sunday is 0).
/// As in NCrontab (which Azure Functions uses), a time must match both the day and the day-of-week field.
/// Hand-written when the Cronos and NCrontab packages did not restore here (docs/decisions.md).
/// </summary>
public sealed class CronSchedule
{
    // Leap days repeat within 8 years (2096 → 2104); anything that does not fire within 10 years never fires.
    private static readonly TimeSpan SearchLimit = TimeSpan.FromDays(366 * 10);

    private static readonly Field[] Fields =
    [
        new("second", 0, 59, null),
        new("minute", 0, 59, null),
        new("hour", 0, 23, null),
        new("day", 1, 31, null),
        new("month", 1, 12, ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]),
        new("day-of-week", 0, 6, ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]),
    ];

    private readonly ulong[] _masks;

    private CronSchedule(string expression, ulong[] masks)
    {
        Expression = expression;
        _masks = masks;
    }

    /// <summary>Gets the expression the schedule was parsed from.</summary>
    public string Expression { get; }

    /// <summary>Parses an expression.</summary>
    /// <exception cref="CronFormatException">The expression is malformed; the message names the field and the reason.</exception>
    public static CronSchedule Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        return TryParse(expression, out var schedule, out var error) ? schedule : throw new CronFormatException(expression, error);
    }

    /// <summary>Tries to parse an expression; on failure <paramref name="error"/> names the field and the reason.</summary>
    public static bool TryParse(string expression, [NotNullWhen(true)] out CronSchedule? schedule, [NotNullWhen(false)] out string? error)
    {
        schedule = null;
        if (string.IsNullOrWhiteSpace(expression))
        {
            error = "the expression is empty";
            return false;
        }

        var parts = expression.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != Fields.Length)
        {
            error = $"it has {parts.Length} field(s); NCRONTAB needs six, seconds first (e.g. '0 */5 * * * *' for every five minutes)";
            return false;
        }

        var masks = new ulong[Fields.Length];
        for (var i = 0; i < Fields.Length; i++)
        {
            if (!TryParseField(Fields[i], parts[i], out masks[i], out var fieldError))
            {
                error = $"field {i + 1} ({Fields[i].Name}) '{parts[i]}': {fieldError}";
                return false;
            }
        }

        schedule = new CronSchedule(string.Join(' ', parts), masks);
        error = null;
        return true;
    }

    /// <summary>Gets the first occurrence strictly after <paramref name="afterUtc"/>, or null when the schedule never fires (e.g. February 30).</summary>
    public DateTime? GetNextOccurrence(DateTime afterUtc)
    {
        var start = DateTime.SpecifyKind(afterUtc, DateTimeKind.Utc);
        var t = new DateTime(start.Ticks - (start.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc).AddSeconds(1);
        var limit = start + SearchLimit;
        while (t <= limit)
        {
            if (!Has(4, t.Month))
            {
                t = new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1);
            }
            else if (!Has(3, t.Day) || !Has(5, (int)t.DayOfWeek))
            {
                t = t.Date.AddDays(1);
            }
            else if (!Has(2, t.Hour))
            {
                t = t.Date.AddHours(t.Hour + 1);
            }
            else if (!Has(1, t.Minute))
            {
                t = t.Date.AddHours(t.Hour).AddMinutes(t.Minute + 1);
            }
            else if (!Has(0, t.Second))
            {
                t = t.AddSeconds(1);
            }
            else
            {
                return t;
            }
        }

        return null;
    }

    /// <summary>Gets the occurrences after <paramref name="afterUtc"/> up to and including <paramref name="untilUtc"/>.</summary>
    public IEnumerable<DateTime> GetNextOccurrences(DateTime afterUtc, DateTime untilUtc)
    {
        var current = afterUtc;
        while (GetNextOccurrence(current) is { } next && next <= untilUtc)
        {
            yield return next;
            current = next;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Expression;

    private bool Has(int field, int value) => (_masks[field] & (1UL << value)) != 0;

    private static bool TryParseField(Field field, string text, out ulong mask, [NotNullWhen(false)] out string? error)
    {
        mask = 0;
        foreach (var item in text.Split(','))
        {
            if (item.Length == 0)
            {
                error = "a list has an empty item";
                return false;
            }

            var slash = item.IndexOf('/', StringComparison.Ordinal);
            var rangeText = slash < 0 ? item : item[..slash];
            var step = 1;
            if (slash >= 0 && (!int.TryParse(item.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1 || step > field.Max - field.Min + 1))
            {
                error = $"the step '{item[(slash + 1)..]}' must be a whole number from 1 to {field.Max - field.Min + 1}";
                return false;
            }

            int from, to;
            if (rangeText == "*")
            {
                (from, to) = (field.Min, field.Max);
            }
            else if (rangeText.IndexOf('-', StringComparison.Ordinal) is var dash and > 0)
            {
                if (!TryValue(field, rangeText[..dash], out from, out error) || !TryValue(field, rangeText[(dash + 1)..], out to, out error))
                {
                    return false;
                }

                if (from > to)
                {
                    error = $"the range {rangeText} runs backwards";
                    return false;
                }
            }
            else
            {
                if (!TryValue(field, rangeText, out from, out error))
                {
                    return false;
                }

                // "a/n" means every n-th value from a to the end of the field, as in NCrontab.
                to = slash >= 0 ? field.Max : from;
            }

            for (var v = from; v <= to; v += step)
            {
                mask |= 1UL << v;
            }
        }

        error = null;
        return true;
    }

    private static bool TryValue(Field field, string text, out int value, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (field.Names is { } names)
        {
            var index = Array.FindIndex(names, n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                value = index + field.Min;
                return true;
            }
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            error = field.Names is null
                ? $"'{text}' is not a number"
                : $"'{text}' is not a number or one of {string.Join(", ", field.Names)}";
            return false;
        }

        if (value < field.Min || value > field.Max)
        {
            error = $"{value} is outside {field.Min}-{field.Max}";
            return false;
        }

        return true;
    }

    private sealed record Field(string Name, int Min, int Max, string[]? Names);
}
