using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CompanyHub.Fakes.Google;

public sealed partial class FakeGoogle
{
    private const string Calendar = "https://www.googleapis.com/auth/calendar";
    private const string CalendarReadonly = "https://www.googleapis.com/auth/calendar.readonly";
    private const string CalendarEvents = "https://www.googleapis.com/auth/calendar.events";
    private const string CalendarEventsReadonly = "https://www.googleapis.com/auth/calendar.events.readonly";

    private void MapCalendar(WebApplication app)
    {
        app.MapGet("/calendar/v3/calendars/{calendarId}/events", ListEvents).WithName(GoogleEndpoints.CalendarList);
        app.MapPost("/calendar/v3/calendars/{calendarId}/events", InsertEventAsync).WithName(GoogleEndpoints.CalendarInsert);
        app.MapGet("/calendar/v3/calendars/{calendarId}/events/{eventId}", GetEvent).WithName(GoogleEndpoints.CalendarGet);
        app.MapPatch("/calendar/v3/calendars/{calendarId}/events/{eventId}", PatchEventAsync).WithName(GoogleEndpoints.CalendarPatch);
        app.MapDelete("/calendar/v3/calendars/{calendarId}/events/{eventId}", DeleteEvent).WithName(GoogleEndpoints.CalendarDelete);
        app.MapPost("/calendar/v3/freeBusy", (Delegate)FreeBusyAsync).WithName(GoogleEndpoints.FreeBusy);
    }

    private IResult ListEvents(HttpContext context, string calendarId)
    {
        if (Authenticate(context, [Calendar, CalendarReadonly, CalendarEvents, CalendarEventsReadonly], out var account) is { } denied)
        {
            return denied;
        }

        if (!IsOwnCalendar(account, calendarId))
        {
            return ApiFailure(404, "Not Found", "NOT_FOUND", "notFound");
        }

        var query = context.Request.Query;
        DateTimeOffset? timeMin = null;
        DateTimeOffset? timeMax = null;
        foreach (var (name, set) in new (string, Action<DateTimeOffset>)[] { ("timeMin", v => timeMin = v), ("timeMax", v => timeMax = v) })
        {
            if (query[name].ToString() is { Length: > 0 } text)
            {
                // Google wants RFC 3339 with an offset ("2026-01-05T10:00:00Z" or "...+02:00").
                if (!HasOffset(text) || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
                {
                    return ApiFailure(400, "Bad Request", "INVALID_ARGUMENT", "badRequest");
                }

                set(value);
            }
        }

        if (timeMin is { } min && timeMax is { } max && max <= min)
        {
            return ApiFailure(400, "The specified time range is empty.", "INVALID_ARGUMENT", "timeRangeEmpty");
        }

        var singleEvents = query["singleEvents"] == "true";
        var orderBy = query["orderBy"].ToString();
        if (orderBy == "startTime" && !singleEvents)
        {
            return ApiFailure(400, "The requested ordering is not available for the particular query.", "INVALID_ARGUMENT", "invalid");
        }

        if (orderBy.Length > 0 && orderBy is not ("startTime" or "updated"))
        {
            return ApiFailure(400, $"Invalid value for orderBy: {orderBy}", "INVALID_ARGUMENT", "invalidParameter");
        }

        var q = query["q"].ToString();
        var maxResults = int.TryParse(query["maxResults"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) ? Math.Clamp(m, 1, 2500) : 250;
        var offset = int.TryParse(query["pageToken"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var o) ? o : 0;

        var events = account.EventsSnapshot()
            .Where(e => timeMin is null || e.End > timeMin)
            .Where(e => timeMax is null || e.Start < timeMax)
            .Where(e => q.Length == 0 || ($"{e.Json["summary"]} {e.Json["description"]} {e.Json["location"]}").Contains(q, StringComparison.OrdinalIgnoreCase));
        events = orderBy == "startTime" ? events.OrderBy(e => e.Start) : events;
        var all = events.ToList();
        var page = all.Skip(offset).Take(maxResults).ToList();

        var result = new JsonObject
        {
            ["kind"] = "calendar#events",
            ["etag"] = "\"p33c9pb2v3u4v40o\"",
            ["summary"] = account.Email,
            ["updated"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["timeZone"] = "UTC",
            ["accessRole"] = "owner",
            ["items"] = new JsonArray(page.Select(e => e.Json.DeepClone()).ToArray()),
        };
        if (offset + maxResults < all.Count)
        {
            result["nextPageToken"] = (offset + maxResults).ToString(CultureInfo.InvariantCulture);
        }

        return Json(result);
    }

    private async Task<IResult> InsertEventAsync(HttpContext context, string calendarId)
    {
        if (Authenticate(context, [Calendar, CalendarEvents], out var account) is { } denied)
        {
            return denied;
        }

        if (!IsOwnCalendar(account, calendarId))
        {
            return ApiFailure(404, "Not Found", "NOT_FOUND", "notFound");
        }

        var (body, unreadable) = await ReadEventBodyAsync(context);
        if (body is null)
        {
            return unreadable!;
        }

        // A client-chosen id (base32hex: 0-9 and a-v, 5 to 1024 characters) makes the insert idempotent: a second insert
        // with the same id is refused with 409, as Google does.
        if (body["id"] is { } idNode)
        {
            var id = idNode.GetValueKind() == JsonValueKind.String ? idNode.GetValue<string>() : "";
            if (id.Length is < 5 or > 1024 || !id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'v')))
            {
                return ApiFailure(400, "Invalid resource id value.", "INVALID_ARGUMENT", "invalid");
            }

            if (account.HasEvent(id))
            {
                return ApiFailure(409, "The requested identifier already exists.", "ALREADY_EXISTS", "duplicate");
            }
        }

        if (body["start"] is not JsonObject startJson)
        {
            return ApiFailure(400, "Missing start time.", "INVALID_ARGUMENT", "required");
        }

        if (body["end"] is not JsonObject endJson)
        {
            return ApiFailure(400, "Missing end time.", "INVALID_ARGUMENT", "required");
        }

        if (ReadTime(startJson, "start", out var start) is { } badStart)
        {
            return badStart;
        }

        if (ReadTime(endJson, "end", out var end) is { } badEnd)
        {
            return badEnd;
        }

        if (end <= start)
        {
            return ApiFailure(400, "The specified time range is empty.", "INVALID_ARGUMENT", "timeRangeEmpty");
        }

        if (CheckAttendees(body) is { } badAttendee)
        {
            return badAttendee;
        }

        var stored = (JsonObject)body.DeepClone();
        account.AddEventJson(stored, start, end);
        lock (_gate)
        {
            _insertedEvents.Add((JsonObject)stored.DeepClone());
        }

        return Json(stored.DeepClone());
    }

    /// <summary>An event's JSON body, or Google's parse error.</summary>
    private static async Task<(JsonObject? Body, IResult? Error)> ReadEventBodyAsync(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) is JsonObject body
                ? (body, null)
                : (null, ApiFailure(400, "Parse Error", "INVALID_ARGUMENT", "parseError"));
        }
        catch (JsonException ex)
        {
            return (null, ApiFailure(400, "Parse Error: " + ex.Message, "INVALID_ARGUMENT", "parseError"));
        }
    }

    /// <summary>Checks the guests' addresses and answers (a guest without one needs to act), as Google does.</summary>
    private static IResult? CheckAttendees(JsonObject evt)
    {
        foreach (var attendee in (evt["attendees"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (attendee["email"]?.GetValue<string>() is not { } email || !AddressPattern().IsMatch(email))
            {
                return ApiFailure(400, "Invalid attendee email.", "INVALID_ARGUMENT", "invalid");
            }

            if (attendee["responseStatus"]?.GetValue<string>() is { } status && status is not ("needsAction" or "declined" or "tentative" or "accepted"))
            {
                return ApiFailure(400, $"Invalid attendee responseStatus: {status}", "INVALID_ARGUMENT", "invalid");
            }

            attendee["responseStatus"] ??= "needsAction";
        }

        return null;
    }

    private static bool IsOwnCalendar(FakeGoogleAccount account, string calendarId) =>
        calendarId == "primary" || calendarId.Equals(account.Email, StringComparison.OrdinalIgnoreCase);

    private static bool HasOffset(string text) =>
        text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');

    private static IResult? ReadTime(JsonObject time, string which, out DateTimeOffset value)
    {
        value = default;
        if (time["date"]?.GetValue<string>() is { } date)
        {
            if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                return ApiFailure(400, $"Invalid {which} date.", "INVALID_ARGUMENT", "invalid");
            }

            value = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return null;
        }

        if (time["dateTime"]?.GetValue<string>() is not { } dateTime)
        {
            return ApiFailure(400, $"Missing {which} time.", "INVALID_ARGUMENT", "required");
        }

        if (!HasOffset(dateTime) && time["timeZone"] is null)
        {
            return ApiFailure(400, $"Missing time zone definition for {which} time.", "INVALID_ARGUMENT", "timeZoneRequired");
        }

        if (!DateTimeOffset.TryParse(dateTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value))
        {
            return ApiFailure(400, $"Invalid {which} time.", "INVALID_ARGUMENT", "invalid");
        }

        return null;
    }
}
