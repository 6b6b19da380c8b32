namespace CompanyHub.Integrations.Google.Calendar;

/// <summary>A calendar event, reduced to what a person or a model reads.</summary>
public sealed record CalendarEvent(
    string Id,
    string? Summary,
    string? Description,
    string? Location,
    CalendarEventTime Start,
    CalendarEventTime End,
    string? Status,
    string? HtmlLink,
    string? Organizer,
    IReadOnlyList<CalendarAttendee> Attendees)
{
    /// <summary>Gets a value indicating whether the event lasts whole days.</summary>
    public bool IsAllDay => Start.Date is not null;
}
