using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CompanyHub.Integrations.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CompanyHub.Integrations.Google.Calendar;

/// <summary>Google Calendar API v3 over plain HttpClient (the Google.Apis.Calendar package does not restore here).</summary>
public sealed class CalendarClient : ICalendarClient
{
    internal const string ServiceName = "Google Calendar";
    private const int MaxEvents = 250;
    private readonly GoogleOptions _options;
    private readonly ServiceHttp _http;
    private readonly ILogger _logger;

    public CalendarClient(HttpClient http, IOptions<GoogleOptions> options, ILogger<CalendarClient> logger, TimeProvider time)
    {
        _options = options.Value;
        _logger = logger;
        _http = new ServiceHttp(http, ServiceName, ServiceErrorParsers.Google, logger, time);
    }

    public bool IsConfigured => _options.IsConfigured && _options.CalendarEnabled;

    public async Task<IReadOnlyList<CalendarEvent>> ListEventsAsync(
        string accessToken, DateTimeOffset timeMin, DateTimeOffset timeMax, string? query = null, int maxResults = 50,
        string calendarId = "primary", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentException.ThrowIfNullOrEmpty(calendarId);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxResults, 1);
        if (timeMax <= timeMin)
        {
            throw new ArgumentException("timeMax must be after timeMin.", nameof(timeMax));
        }

        EnsureConfigured();
        var wanted = Math.Min(maxResults, MaxEvents);
        var events = new List<CalendarEvent>();
        string? pageToken = null;
        do
        {
            var url = new StringBuilder(EventsUrl(calendarId))
                .Append("?timeMin=").Append(Uri.EscapeDataString(Rfc3339Utc(timeMin)))
                .Append("&timeMax=").Append(Uri.EscapeDataString(Rfc3339Utc(timeMax)))
                .Append("&singleEvents=true&orderBy=startTime")
                .Append("&maxResults=").Append(wanted - events.Count);
            if (!string.IsNullOrEmpty(query))
            {
                url.Append("&q=").Append(Uri.EscapeDataString(query));
            }

            if (pageToken is not null)
            {
                url.Append("&pageToken=").Append(Uri.EscapeDataString(pageToken));
            }

            var page = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Get, url.ToString(), accessToken), "calendar.events.list", cancellationToken);
            events.AddRange(page.GetArrayItems("items").Select(ReadEvent));
            pageToken = page.GetStringOrNull("nextPageToken");
        }
        while (pageToken is not null && events.Count < wanted);

        return events.Count > wanted ? events[..wanted] : events;
    }

    public async Task<CalendarEvent> InsertEventAsync(
        string accessToken, NewCalendarEvent newEvent, string calendarId = "primary", bool notifyAttendees = true,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentNullException.ThrowIfNull(newEvent);
        ArgumentException.ThrowIfNullOrEmpty(newEvent.Summary, nameof(newEvent));
        ArgumentException.ThrowIfNullOrEmpty(calendarId);
        if (newEvent.End <= newEvent.Start && !(newEvent.AllDay && newEvent.End.Date > newEvent.Start.Date))
        {
            throw new ArgumentException("The event must end after it starts.", nameof(newEvent));
        }

        EnsureConfigured();
        var body = new JsonObject
        {
            ["summary"] = newEvent.Summary,
            ["start"] = WriteTime(newEvent.Start, newEvent.AllDay, newEvent.TimeZone),
            ["end"] = WriteTime(newEvent.End, newEvent.AllDay, newEvent.TimeZone),
        };
        if (newEvent.Id is not null)
        {
            body["id"] = newEvent.Id;
        }

        if (newEvent.Description is not null)
        {
            body["description"] = newEvent.Description;
        }

        if (newEvent.Location is not null)
        {
            body["location"] = newEvent.Location;
        }

        if (newEvent.Attendees.Count > 0)
        {
            body["attendees"] = new JsonArray(newEvent.Attendees.Select(a => (JsonNode)new JsonObject { ["email"] = a }).ToArray());
        }

        var url = EventsUrl(calendarId) + "?sendUpdates=" + (notifyAttendees ? "all" : "none");
        var created = ReadEvent(await _http.SendAsync(ServiceHttp.Request(HttpMethod.Post, url, accessToken, body), "calendar.events.insert", cancellationToken));
        _logger.CalendarEventCreated(created.Id, calendarId);
        return created;
    }

    private string EventsUrl(string calendarId) =>
        _options.CalendarBaseUrl.TrimEnd('/') + "/calendars/" + Uri.EscapeDataString(calendarId) + "/events";

    private static string Rfc3339Utc(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static JsonObject WriteTime(DateTimeOffset value, bool allDay, string? timeZone)
    {
        var time = allDay
            ? new JsonObject { ["date"] = value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) }
            : new JsonObject { ["dateTime"] = value.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture) };
        if (timeZone is not null)
        {
            time["timeZone"] = timeZone;
        }

        return time;
    }

    private static CalendarEvent ReadEvent(JsonElement item) => new(
        item.GetStringOrNull("id") ?? string.Empty,
        item.GetStringOrNull("summary"),
        item.GetStringOrNull("description"),
        item.GetStringOrNull("location"),
        ReadTime(item.GetObjectOrNull("start")),
        ReadTime(item.GetObjectOrNull("end")),
        item.GetStringOrNull("status"),
        item.GetStringOrNull("htmlLink"),
        item.GetObjectOrNull("organizer")?.GetStringOrNull("email"),
        item.GetArrayItems("attendees")
            .Select(a => new CalendarAttendee(a.GetStringOrNull("email") ?? string.Empty, a.GetStringOrNull("responseStatus")))
            .ToArray());

    private static CalendarEventTime ReadTime(JsonElement? time)
    {
        if (time is not { } t)
        {
            return new CalendarEventTime(null, null, null);
        }

        DateOnly? date = t.GetStringOrNull("date") is { } d && DateOnly.TryParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
            ? parsed
            : null;
        return new CalendarEventTime(t.GetDateTimeOffsetOrNull("dateTime"), date, t.GetStringOrNull("timeZone"));
    }

    private void EnsureConfigured()
    {
        if (!_options.IsConfigured)
        {
            throw new ToolNotConfiguredException(ServiceName, "Google Calendar is not configured: set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET");
        }

        if (!_options.CalendarEnabled)
        {
            throw new ToolNotConfiguredException(ServiceName, "Google Calendar is not enabled: set GOOGLE_CALENDAR=true");
        }
    }
}
