using System.Text.Json.Nodes;

namespace CompanyHub.Fakes.Google;

/// <summary>An event in a fake calendar: Google's JSON plus its span for filtering.</summary>
internal sealed record StoredCalendarEvent(string CalendarId, JsonObject Json, DateTimeOffset Start, DateTimeOffset End);
