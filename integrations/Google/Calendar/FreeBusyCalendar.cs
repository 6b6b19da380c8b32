namespace CompanyHub.Integrations.Google.Calendar;

/// <summary>One calendar's busy spans in the asked window, or why Google could not tell (<c>notFound</c>, <c>internalError</c>...).</summary>
public sealed record FreeBusyCalendar(string Calendar, IReadOnlyList<FreeBusySpan> Busy, IReadOnlyList<string> Errors);

/// <summary>A busy span.</summary>
public sealed record FreeBusySpan(DateTimeOffset Start, DateTimeOffset End);
