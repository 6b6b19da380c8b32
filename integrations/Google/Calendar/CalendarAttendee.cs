namespace CompanyHub.Integrations.Google.Calendar;

/// <summary>A guest and their answer (<c>needsAction</c>, <c>accepted</c>, <c>declined</c>, <c>tentative</c>).</summary>
public sealed record CalendarAttendee(string Email, string? ResponseStatus);
