using Microsoft.Azure.Functions.Worker;
using Serverless.Functions;
using Serverless.Functions.Timers;

namespace Serverless.Host.Tests;

public sealed class CronScheduleTests
{
    private static DateTime Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) => new(y, mo, d, h, mi, s, DateTimeKind.Utc);

    [Theory]
    [InlineData("0 */5 * * * *", "2026-11-22T10:02:13Z", "2026-11-22T10:05:00Z")]
    [InlineData("0 */5 * * * *", "2026-11-22T10:05:00Z", "2026-11-22T10:10:00Z")]
    [InlineData("*/15 * * * * *", "2026-11-22T10:00:14.500Z", "2026-11-22T10:00:15Z")]
    [InlineData("0 0 9-17 * * MON-FRI", "2026-11-21T12:00:00Z", "2026-11-23T09:00:00Z")]
    [InlineData("0 30 9 * * 1", "2026-11-22T10:00:00Z", "2026-11-23T09:30:00Z")]
    [InlineData("0 0 0 1 JAN *", "2026-11-22T00:00:00Z", "2027-01-01T00:00:00Z")]
    [InlineData("0 0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z")]
    [InlineData("5,10 0 0 * * *", "2026-11-22T00:00:05Z", "2026-11-22T00:00:10Z")]
    [InlineData("0 5/20 * * * *", "2026-11-22T10:26:00Z", "2026-11-22T10:45:00Z")]
    [InlineData("0 0 12 13 * FRI", "2026-01-01T00:00:00Z", "2026-02-13T12:00:00Z")]
    [InlineData("0 0 0 * * sun", "2026-11-22T00:00:00Z", "2026-11-29T00:00:00Z")]
    [InlineData("0 0 0 * * 7", "2026-11-22T00:00:00Z", "2026-11-29T00:00:00Z")]
    [InlineData("0 0 22-2 * * *", "2026-11-22T02:30:00Z", "2026-11-22T22:00:00Z")]
    [InlineData("0 0 0 L * *", "2026-02-01T00:00:00Z", "2026-02-28T00:00:00Z")]
    [InlineData("0 0 9 ? * MON#1", "2026-11-22T00:00:00Z", "2026-12-07T09:00:00Z")]
    public void GetNextOccurrence_ValidExpression_ReturnsNextMatchingSecond(string expression, string after, string expected)
    {
        var schedule = CronSchedule.Parse(expression);

        var next = schedule.GetNextOccurrence(DateTime.Parse(after, null, System.Globalization.DateTimeStyles.AdjustToUniversal));

        Assert.Equal(DateTime.Parse(expected, null, System.Globalization.DateTimeStyles.AdjustToUniversal), next);
        Assert.Equal(DateTimeKind.Utc, next!.Value.Kind);
    }

    [Fact]
    public void GetNextOccurrences_EveryTenMinutes_ListsTheWindow()
    {
        var schedule = CronSchedule.Parse("0 */10 * * * *");

        var list = schedule.GetNextOccurrences(Utc(2026, 1, 1), Utc(2026, 1, 1, 0, 30)).ToList();

        Assert.Equal([Utc(2026, 1, 1, 0, 10), Utc(2026, 1, 1, 0, 20), Utc(2026, 1, 1, 0, 30)], list);
    }

    [Theory]
    [InlineData("*/5 * * * *", "it has 5 field(s)")]
    [InlineData("0 61 * * * *", "field 2 (minute) '61': value must be a number between 0 and 59")]
    [InlineData("0 0 24 * * *", "field 3 (hour) '24': value must be a number between 0 and 23")]
    [InlineData("0 0 0 0 * *", "field 4 (day) '0': value must be a number between 1 and 31")]
    [InlineData("0 0 0 * 13 *", "field 5 (month) '13': value must be a number between 1 and 12")]
    [InlineData("0 0 0 * * 8", "field 6 (day-of-week) '8': value must be a number between 0 and 7")]
    [InlineData("0 0 0 * FOO *", "field 5 (month) 'FOO': value must be a number between 1 and 12")]
    [InlineData("0 */0 * * * *", "field 2 (minute) '*/0': value must be a number between 1 and 59")]
    [InlineData("0 1,,2 * * * *", "field 2 (minute) '1,,2': value must be a number between 0 and 59")]
    [InlineData("61 * * * * *", "field 1 (second) '61': value must be a number between 0 and 59")]
    [InlineData("", "the expression is empty")]
    public void Parse_MalformedExpression_ThrowsNamingFieldAndReason(string expression, string expected)
    {
        var ex = Assert.Throws<CronFormatException>(() => CronSchedule.Parse(expression));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Equal(expression, ex.Expression);
    }

    [Fact]
    public void GetNextOccurrence_ImpossibleDate_ReturnsNull()
    {
        var schedule = CronSchedule.Parse("0 0 0 30 2 *");

        Assert.Null(schedule.GetNextOccurrence(Utc(2026, 1, 1)));
    }

    [Fact]
    public void GetNextOccurrence_DayAndDayOfWeek_BothMustMatch()
    {
        // NCrontab semantics: the 1st of a month that is also a Monday.
        var schedule = CronSchedule.Parse("0 0 0 1 * MON");

        Assert.Equal(Utc(2026, 6, 1), schedule.GetNextOccurrence(Utc(2026, 1, 1)));
    }

    [Fact]
    public void Parse_ExtraWhitespace_IsNormalized()
    {
        Assert.Equal("0 */5 * * * *", CronSchedule.Parse("  0  */5 * *   * * ").Expression);
    }
}
