using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CompanyHub.Fakes.Google;

/// <summary>Reading, changing and cancelling one event, and free/busy, as Calendar API v3 answers them.</summary>
public sealed partial class FakeGoogle
{
    private const string CalendarFreeBusy = "https://www.googleapis.com/auth/calendar.freebusy";
    private const string CalendarEventsFreeBusy = "https://www.googleapis.com/auth/calendar.events.freebusy";

    private IResult GetEvent(HttpContext context, string calendarId, string eventId)
    {
        if (Authenticate(context, [Calendar, CalendarReadonly, CalendarEvents, CalendarEventsReadonly], out var account) is { } denied)
        {
            return denied;
        }

        // Google still answers a cancelled event (status "cancelled"); an unknown id is 404.
        return IsOwnCalendar(account, calendarId) && account.FindEvent(eventId) is { } stored
            ? Json(stored.Json.DeepClone())
            : ApiFailure(404, "Not Found", "NOT_FOUND", "notFound");
    }

    private async Task<IResult> PatchEventAsync(HttpContext context, string calendarId, string eventId)
    {
        if (Authenticate(context, [Calendar, CalendarEvents], out var account) is { } denied)
        {
            return denied;
        }

        if (!IsOwnCalendar(account, calendarId) || account.FindEvent(eventId) is not { } stored || stored.Json["status"]?.GetValue<string>() == "cancelled")
        {
            return ApiFailure(404, "Not Found", "NOT_FOUND", "notFound");
        }

        if (context.Request.Query["sendUpdates"].ToString() is { Length: > 0 } sendUpdates && sendUpdates is not ("all" or "externalOnly" or "none"))
        {
            return ApiFailure(400, $"Invalid value for sendUpdates: {sendUpdates}", "INVALID_ARGUMENT", "invalidParameter");
        }

        var (body, unreadable) = await ReadEventBodyAsync(context);
        if (body is null)
        {
            return unreadable!;
        }

        var json = (JsonObject)stored.Json.DeepClone();
        foreach (var (name, value) in body)
        {
            if (name is "id" or "kind" or "etag" or "htmlLink" or "created" or "updated" or "creator" or "organizer" or "iCalUID")
            {
                continue;
            }

            json[name] = value?.DeepClone();
        }

        var (start, end) = (stored.Start, stored.End);
        if (json["start"] is not JsonObject startJson || ReadTime(startJson, "start", out start) is { } badStart)
        {
            return ApiFailure(400, "Invalid start time.", "INVALID_ARGUMENT", "invalid");
        }

        if (json["end"] is not JsonObject endJson || ReadTime(endJson, "end", out end) is { } badEnd)
        {
            return ApiFailure(400, "Invalid end time.", "INVALID_ARGUMENT", "invalid");
        }

        if (end <= start)
        {
            return ApiFailure(400, "The specified time range is empty.", "INVALID_ARGUMENT", "timeRangeEmpty");
        }

        if (CheckAttendees(json) is { } badAttendee)
        {
            return badAttendee;
        }

        json["sequence"] = (json["sequence"]?.GetValue<int>() ?? 0) + 1;
        json["updated"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        account.ReplaceEvent(stored, stored with { Json = json, Start = start, End = end });
        return Json(json.DeepClone());
    }

    private IResult DeleteEvent(HttpContext context, string calendarId, string eventId)
    {
        if (Authenticate(context, [Calendar, CalendarEvents], out var account) is { } denied)
        {
            return denied;
        }

        if (!IsOwnCalendar(account, calendarId) || account.FindEvent(eventId) is not { } stored)
        {
            return ApiFailure(404, "Not Found", "NOT_FOUND", "notFound");
        }

        if (stored.Json["status"]?.GetValue<string>() == "cancelled")
        {
            return ApiFailure(410, "Resource has been deleted", "FAILED_PRECONDITION", "deleted");
        }

        var json = (JsonObject)stored.Json.DeepClone();
        json["status"] = "cancelled";
        account.ReplaceEvent(stored, stored with { Json = json });
        return Results.NoContent();
    }

    /// <summary><c>POST /calendar/v3/freeBusy</c>: each item's busy spans from that account's calendar in this fake; others are <c>notFound</c>.</summary>
    private async Task<IResult> FreeBusyAsync(HttpContext context)
    {
        if (Authenticate(context, [Calendar, CalendarReadonly, CalendarFreeBusy, CalendarEventsFreeBusy], out _) is { } denied)
        {
            return denied;
        }

        var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject;
        if (body?["timeMin"]?.GetValue<string>() is not { } minText || body["timeMax"]?.GetValue<string>() is not { } maxText
            || !DateTimeOffset.TryParse(minText, CultureInfo.InvariantCulture, DateTimeStyles.None, out var timeMin)
            || !DateTimeOffset.TryParse(maxText, CultureInfo.InvariantCulture, DateTimeStyles.None, out var timeMax))
        {
            return ApiFailure(400, "Missing or invalid timeMin/timeMax.", "INVALID_ARGUMENT", "required");
        }

        if (timeMax <= timeMin)
        {
            return ApiFailure(400, "The specified time range is empty.", "INVALID_ARGUMENT", "timeRangeEmpty");
        }

        var items = (body["items"] as JsonArray ?? []).Select(i => i?["id"]?.GetValue<string>()).OfType<string>().ToList();
        if (items.Count > 50)
        {
            return ApiFailure(400, "The number of calendars exceeds the limit.", "INVALID_ARGUMENT", "tooManyCalendarsRequested");
        }

        var calendars = new JsonObject();
        foreach (var id in items)
        {
            FakeGoogleAccount? owner;
            lock (_gate)
            {
                owner = _accounts.GetValueOrDefault(id);
            }

            calendars[id] = owner is null
                ? new JsonObject { ["errors"] = new JsonArray(new JsonObject { ["domain"] = "global", ["reason"] = "notFound" }), ["busy"] = new JsonArray() }
                : new JsonObject
                {
                    ["busy"] = new JsonArray([.. owner.EventsSnapshot()
                        .Where(e => e.Json["status"]?.GetValue<string>() != "cancelled" && e.Json["transparency"]?.GetValue<string>() != "transparent")
                        .Where(e => e.End > timeMin && e.Start < timeMax)
                        .OrderBy(e => e.Start)
                        .Select(e => (JsonNode)new JsonObject
                        {
                            ["start"] = (e.Start < timeMin ? timeMin : e.Start).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                            ["end"] = (e.End > timeMax ? timeMax : e.End).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                        })]),
                };
        }

        return Json(new JsonObject { ["kind"] = "calendar#freeBusy", ["timeMin"] = minText, ["timeMax"] = maxText, ["calendars"] = calendars });
    }
}
