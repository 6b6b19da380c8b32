namespace CompanyHub.Integrations.Google.Calendar;

/// <summary>Google Calendar API v3 for the person whose access token is passed.</summary>
public interface ICalendarClient
{
    /// <summary>Gets a value indicating whether Google OAuth is configured and <c>GOOGLE_CALENDAR</c> is on.</summary>
    bool IsConfigured { get; }

    /// <summary>Lists the events overlapping [<paramref name="timeMin"/>, <paramref name="timeMax"/>), recurring ones expanded, by start time.</summary>
    /// <param name="accessToken">The person's access token.</param>
    /// <param name="timeMin">Events ending after this are included.</param>
    /// <param name="timeMax">Events starting before this are included.</param>
    /// <param name="query">Free text to match, optional.</param>
    /// <param name="maxResults">How many events at most, 1 to 250.</param>
    /// <param name="calendarId">The calendar; <c>primary</c> is the person's own.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    Task<IReadOnlyList<CalendarEvent>> ListEventsAsync(
        string accessToken, DateTimeOffset timeMin, DateTimeOffset timeMax, string? query = null, int maxResults = 50,
        string calendarId = "primary", CancellationToken cancellationToken = default);

    /// <summary>Creates an event; guests get Google's invitation email when <paramref name="notifyAttendees"/> is set.</summary>
    Task<CalendarEvent> InsertEventAsync(
        string accessToken, NewCalendarEvent newEvent, string calendarId = "primary", bool notifyAttendees = true,
        CancellationToken cancellationToken = default);

    /// <summary>Changes an event (<c>PATCH</c>); guests hear of it when <paramref name="notifyAttendees"/> is set.</summary>
    Task<CalendarEvent> UpdateEventAsync(
        string accessToken, string eventId, CalendarEventChanges changes, string calendarId = "primary", bool notifyAttendees = true,
        CancellationToken cancellationToken = default);

    /// <summary>Cancels (deletes) an event; false when it was already cancelled (Google's 410).</summary>
    Task<bool> CancelEventAsync(
        string accessToken, string eventId, string calendarId = "primary", bool notifyAttendees = true, CancellationToken cancellationToken = default);

    /// <summary>Answers an invitation as the guest <paramref name="attendeeEmail"/> (the token's owner): accepted, declined or tentative.</summary>
    Task<CalendarEvent> RespondAsync(
        string accessToken, string eventId, string attendeeEmail, string response, string calendarId = "primary", CancellationToken cancellationToken = default);

    /// <summary>The busy spans of up to 50 calendars (colleagues' email addresses) between two times (<c>POST /freeBusy</c>).</summary>
    Task<IReadOnlyList<FreeBusyCalendar>> FreeBusyAsync(
        string accessToken, IReadOnlyList<string> calendars, DateTimeOffset timeMin, DateTimeOffset timeMax, CancellationToken cancellationToken = default);
}
