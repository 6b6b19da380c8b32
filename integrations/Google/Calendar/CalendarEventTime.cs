namespace CompanyHub.Integrations.Google.Calendar;

/// <summary>An event's start or end: a moment, or a date for all-day events.</summary>
public sealed record CalendarEventTime(DateTimeOffset? DateTime, DateOnly? Date, string? TimeZone);
