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
    private const int MaxFreeBusyCalendars = 50;

    /// <summary>The answers a guest can give an invitation.</summary>
    public static readonly IReadOnlyList<string> Responses = ["accepted", "declined", "tentative"];
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

    public async Task<CalendarEvent> UpdateEventAsync(
        string accessToken, string eventId, CalendarEventChanges changes, string calendarId = "primary", bool notifyAttendees = true,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentException.ThrowIfNullOrEmpty(eventId);
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.IsEmpty)
        {
            throw new ArgumentException("The update changes nothing.", nameof(changes));
        }

        EnsureConfigured();
        var body = new JsonObject();
        void Set(string name, JsonNode? value)
        {
            if (value is not null)
            {
                body[name] = value;
            }
        }

        Set("summary", changes.Summary);
        Set("description", changes.Description);
        Set("location", changes.Location);
        Set("start", changes.Start is { } start ? WriteTime(start, allDay: false, timeZone: null) : null);
        Set("end", changes.End is { } end ? WriteTime(end, allDay: false, timeZone: null) : null);
        if (changes.Attendees is { } attendees)
        {
            // A PATCH replaces the whole list: guests already invited are sent as Google has them, answers included.
            var current = await GetEventJsonAsync(accessToken, eventId, calendarId, cancellationToken);
            var known = current.GetArrayItems("attendees")
                .Where(a => a.GetStringOrNull("email") is not null)
                .GroupBy(a => a.GetStringOrNull("email")!, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
            body["attendees"] = new JsonArray([.. attendees.Select(email =>
                known.TryGetValue(email, out var existing) ? JsonNode.Parse(existing.GetRawText())! : new JsonObject { ["email"] = email })]);
        }

        var url = EventUrl(calendarId, eventId) + "?sendUpdates=" + (notifyAttendees ? "all" : "none");
        var updated = ReadEvent(await _http.SendAsync(ServiceHttp.Request(HttpMethod.Patch, url, accessToken, body), "calendar.events.patch", cancellationToken));
        _logger.CalendarEventChanged(updated.Id, calendarId, "updated");
        return updated;
    }

    public async Task<bool> CancelEventAsync(
        string accessToken, string eventId, string calendarId = "primary", bool notifyAttendees = true, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentException.ThrowIfNullOrEmpty(eventId);
        EnsureConfigured();
        var url = EventUrl(calendarId, eventId) + "?sendUpdates=" + (notifyAttendees ? "all" : "none");
        try
        {
            await _http.SendAsync(ServiceHttp.Request(HttpMethod.Delete, url, accessToken), "calendar.events.delete", cancellationToken);
        }
        catch (IntegrationException ex) when (ex.StatusCode == System.Net.HttpStatusCode.Gone)
        {
            // Google answers 410 for an event that is already cancelled (for example by an earlier attempt).
            return false;
        }

        _logger.CalendarEventChanged(eventId, calendarId, "cancelled");
        return true;
    }

    public async Task<CalendarEvent> RespondAsync(
        string accessToken, string eventId, string attendeeEmail, string response, string calendarId = "primary", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentException.ThrowIfNullOrEmpty(eventId);
        ArgumentException.ThrowIfNullOrEmpty(attendeeEmail);
        if (!Responses.Contains(response))
        {
            throw new ArgumentException($"The answer is one of {string.Join(", ", Responses)}, not '{response}'.", nameof(response));
        }

        EnsureConfigured();
        var current = await GetEventJsonAsync(accessToken, eventId, calendarId, cancellationToken);
        var attendees = new JsonArray();
        var found = false;
        foreach (var attendee in current.GetArrayItems("attendees"))
        {
            var node = (JsonObject)JsonNode.Parse(attendee.GetRawText())!;
            if (attendee.GetBoolean("self") || string.Equals(attendee.GetStringOrNull("email"), attendeeEmail, StringComparison.OrdinalIgnoreCase))
            {
                node["responseStatus"] = response;
                found = true;
            }

            attendees.Add(node);
        }

        if (!found)
        {
            throw new ArgumentException($"{attendeeEmail} is not a guest of event {eventId}, so there is no invitation to answer.", nameof(attendeeEmail));
        }

        // The organizer hears of the answer, as when it is given in Google Calendar.
        var url = EventUrl(calendarId, eventId) + "?sendUpdates=all";
        var updated = ReadEvent(await _http.SendAsync(ServiceHttp.Request(HttpMethod.Patch, url, accessToken, new JsonObject { ["attendees"] = attendees }), "calendar.events.patch", cancellationToken));
        _logger.CalendarEventChanged(updated.Id, calendarId, "answered " + response);
        return updated;
    }

    public async Task<IReadOnlyList<FreeBusyCalendar>> FreeBusyAsync(
        string accessToken, IReadOnlyList<string> calendars, DateTimeOffset timeMin, DateTimeOffset timeMax, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentNullException.ThrowIfNull(calendars);
        if (calendars.Count is 0 or > MaxFreeBusyCalendars)
        {
            throw new ArgumentException($"Ask for 1 to {MaxFreeBusyCalendars} calendars.", nameof(calendars));
        }

        if (timeMax <= timeMin)
        {
            throw new ArgumentException("timeMax must be after timeMin.", nameof(timeMax));
        }

        EnsureConfigured();
        var body = new JsonObject
        {
            ["timeMin"] = Rfc3339Utc(timeMin),
            ["timeMax"] = Rfc3339Utc(timeMax),
            ["items"] = new JsonArray([.. calendars.Select(c => (JsonNode)new JsonObject { ["id"] = c })]),
        };
        var result = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Post, _options.CalendarBaseUrl.TrimEnd('/') + "/freeBusy", accessToken, body), "calendar.freebusy.query", cancellationToken);
        var answered = result.GetObjectOrNull("calendars");
        return [.. calendars.Select(c =>
        {
            var entry = answered is { } a && a.TryGetProperty(c, out var e) ? e : (JsonElement?)null;
            var busy = entry?.GetArrayItems("busy")
                .Select(b => (b.GetDateTimeOffsetOrNull("start"), b.GetDateTimeOffsetOrNull("end")))
                .Where(b => b.Item1 is not null && b.Item2 is not null)
                .Select(b => new FreeBusySpan(b.Item1!.Value, b.Item2!.Value))
                .ToArray() ?? [];
            var errors = entry is null ? ["notFound"] : entry.Value.GetArrayItems("errors").Select(x => x.GetStringOrNull("reason") ?? "unknown").ToArray();
            return new FreeBusyCalendar(c, busy, errors);
        })];
    }

    private Task<JsonElement> GetEventJsonAsync(string accessToken, string eventId, string calendarId, CancellationToken cancellationToken) =>
        _http.SendAsync(ServiceHttp.Request(HttpMethod.Get, EventUrl(calendarId, eventId), accessToken), "calendar.events.get", cancellationToken);

    private string EventUrl(string calendarId, string eventId) => EventsUrl(calendarId) + "/" + Uri.EscapeDataString(eventId);

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
