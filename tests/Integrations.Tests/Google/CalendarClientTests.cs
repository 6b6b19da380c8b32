using System.Net;
using CompanyHub.Fakes.Google;
using CompanyHub.Integrations.Google;
using CompanyHub.Integrations.Google.Calendar;

namespace CompanyHub.Integrations.Tests.Google;

public sealed class CalendarClientTests : GoogleTestBase
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

    private ICalendarClient Calendar => Host.Get<ICalendarClient>();

    private string Token => Google.IssueAccessToken(Alice, GoogleScopes.CalendarEvents);

    [Fact]
    public async Task ListEventsAsync_Window_ReturnsOverlappingEventsInStartOrder()
    {
        var calendar = Google.Account(Alice);
        calendar.AddEvent("Late review", Monday.AddHours(16), Monday.AddHours(17));
        calendar.AddEvent("Standup", Monday.AddHours(9), Monday.AddHours(9.25), "Daily", "Room 1");
        calendar.AddEvent("Last week", Monday.AddDays(-7), Monday.AddDays(-7).AddHours(1));
        calendar.AddEvent("Ends as the window opens", Monday.AddHours(-1), Monday);
        calendar.AddAllDayEvent("Offsite", DateOnly.FromDateTime(Monday.UtcDateTime), DateOnly.FromDateTime(Monday.UtcDateTime).AddDays(1));

        var events = await Calendar.ListEventsAsync(Token, Monday, Monday.AddDays(1), cancellationToken: Timeouts.Test);

        Assert.Equal(["Offsite", "Standup", "Late review"], events.Select(e => e.Summary));
        var standup = events[1];
        Assert.Equal(Monday.AddHours(9), standup.Start.DateTime);
        Assert.Equal(Monday.AddHours(9.25), standup.End.DateTime);
        Assert.Equal("Daily", standup.Description);
        Assert.Equal("Room 1", standup.Location);
        Assert.Equal("confirmed", standup.Status);
        Assert.Equal(Alice, standup.Organizer);
        Assert.StartsWith("https://www.google.com/calendar/event?eid=", standup.HtmlLink, StringComparison.Ordinal);
        Assert.True(events[0].IsAllDay);
        Assert.Equal(new DateOnly(2026, 11, 23), events[0].Start.Date);
    }

    [Fact]
    public async Task UpdateEventAsync_NewTimeAndGuests_PatchesOnlyThose_AndKeepsKnownGuestsAnswers()
    {
        var id = Google.Account(Alice).AddInvitation("Acme sync", Monday.AddHours(9), Monday.AddHours(10), "sarah@acme.com", "tom@acme.com");

        var updated = await Calendar.UpdateEventAsync(Token, id, new CalendarEventChanges
        {
            Start = Monday.AddHours(14),
            End = Monday.AddHours(15),
            Attendees = ["sarah@acme.com", Alice, "new@acme.com"],
        }, cancellationToken: Timeouts.Test);

        Assert.Equal(Monday.AddHours(14), updated.Start.DateTime);
        Assert.Equal("Acme sync", updated.Summary);
        var request = Assert.Single(Google.RequestsTo(GoogleEndpoints.CalendarPatch));
        Assert.Equal($"/calendar/v3/calendars/primary/events/{id}", request.Path);
        Assert.Equal("all", request.QueryParameters()["sendUpdates"]);
        var body = request.Json()!.AsObject();
        Assert.Equal(["start", "end", "attendees"], body.Select(p => p.Key));
        Assert.Equal(["accepted", "needsAction", "needsAction"], updated.Attendees.Select(a => a.ResponseStatus));
        Assert.Equal(["sarah@acme.com", Alice, "new@acme.com"], updated.Attendees.Select(a => a.Email));
    }

    [Fact]
    public async Task CancelEventAsync_Twice_SecondFindsItAlreadyCancelled()
    {
        var id = Google.Account(Alice).AddEvent("Acme sync", Monday.AddHours(9), Monday.AddHours(10));

        Assert.True(await Calendar.CancelEventAsync(Token, id, cancellationToken: Timeouts.Test));
        Assert.False(await Calendar.CancelEventAsync(Token, id, cancellationToken: Timeouts.Test));

        Assert.Equal("cancelled", Google.Account(Alice).GetEvent(id)!["status"]!.GetValue<string>());
        Assert.All(Google.RequestsTo(GoogleEndpoints.CalendarDelete), r => Assert.Equal("all", r.QueryParameters()["sendUpdates"]));
    }

    [Fact]
    public async Task RespondAsync_Invitation_SetsOnlyTheGuestsOwnAnswer()
    {
        var id = Google.Account(Alice).AddInvitation("Acme sync", Monday.AddHours(9), Monday.AddHours(10), "sarah@acme.com", "tom@acme.com");

        var answered = await Calendar.RespondAsync(Token, id, Alice, "declined", cancellationToken: Timeouts.Test);

        Assert.Equal(["accepted", "declined", "needsAction"], answered.Attendees.Select(a => a.ResponseStatus));
        var attendees = Google.Account(Alice).GetEvent(id)!["attendees"]!.AsArray();
        Assert.True(attendees[1]!["self"]!.GetValue<bool>());
        Assert.Equal("declined", attendees[1]!["responseStatus"]!.GetValue<string>());
    }

    [Fact]
    public async Task RespondAsync_NotAGuest_IsRefusedWithoutAChange()
    {
        var id = Google.Account(Alice).AddEvent("Own event", Monday.AddHours(9), Monday.AddHours(10));

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => Calendar.RespondAsync(Token, id, Alice, "accepted", cancellationToken: Timeouts.Test));

        Assert.Contains("is not a guest", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, Google.CallCount(GoogleEndpoints.CalendarPatch));
    }

    [Fact]
    public async Task FreeBusyAsync_Colleagues_BusySpansForKnownOnes_NotFoundForOthers()
    {
        Google.AddAccount("bob@company.com");
        Google.Account("bob@company.com").AddEvent("Bob's review", Monday.AddHours(10), Monday.AddHours(11), "secret agenda");
        Google.Account("bob@company.com").AddEvent("Outside the window", Monday.AddDays(2), Monday.AddDays(2).AddHours(1));

        var result = await Calendar.FreeBusyAsync(Google.IssueAccessToken(Alice, GoogleScopes.CalendarFreeBusy), ["bob@company.com", "ghost@company.com"], Monday, Monday.AddDays(1), Timeouts.Test);

        Assert.Equal([new FreeBusySpan(Monday.AddHours(10), Monday.AddHours(11))], result[0].Busy);
        Assert.Empty(result[0].Errors);
        Assert.Equal(["notFound"], result[1].Errors);
        var body = Assert.Single(Google.RequestsTo(GoogleEndpoints.FreeBusy)).Json()!;
        Assert.Equal("2026-11-23T00:00:00Z", body["timeMin"]!.GetValue<string>());
        Assert.Equal(["bob@company.com", "ghost@company.com"], body["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ListEventsAsync_SendsTheParametersGoogleNeedsForAnExpandedTimeline()
    {
        await Calendar.ListEventsAsync(Token, Monday.ToOffset(TimeSpan.FromHours(2)), Monday.AddDays(1), "standup", 20, cancellationToken: Timeouts.Test);

        var request = Assert.Single(Google.RequestsTo(GoogleEndpoints.CalendarList));
        Assert.Equal("/calendar/v3/calendars/primary/events", request.Path);
        var query = request.QueryParameters();
        Assert.Equal("2026-11-23T00:00:00Z", query["timeMin"]);
        Assert.Equal("2026-11-24T00:00:00Z", query["timeMax"]);
        Assert.Equal("true", query["singleEvents"]);
        Assert.Equal("startTime", query["orderBy"]);
        Assert.Equal("standup", query["q"]);
        Assert.Equal("20", query["maxResults"]);
    }

    [Fact]
    public async Task InsertEventAsync_TimedEventWithGuests_IsCreatedAndGuestsAreNotified()
    {
        var created = await Calendar.InsertEventAsync(Token, new NewCalendarEvent
        {
            Summary = "Q2 proposal review",
            Start = Monday.AddHours(14).ToOffset(TimeSpan.FromHours(1)),
            End = Monday.AddHours(15).ToOffset(TimeSpan.FromHours(1)),
            TimeZone = "Europe/Berlin",
            Description = "Agenda: pricing",
            Location = "Zoom",
            Attendees = ["sarah@acme.com", "bob@acme.com"],
        }, cancellationToken: Timeouts.Test);

        Assert.False(string.IsNullOrEmpty(created.Id));
        Assert.Equal("Q2 proposal review", created.Summary);
        Assert.Equal(Monday.AddHours(14), created.Start.DateTime);
        Assert.Equal("Europe/Berlin", created.Start.TimeZone);
        Assert.Equal(["sarah@acme.com", "bob@acme.com"], created.Attendees.Select(a => a.Email));
        Assert.All(created.Attendees, a => Assert.Equal("needsAction", a.ResponseStatus));

        var request = Assert.Single(Google.RequestsTo(GoogleEndpoints.CalendarInsert));
        Assert.Equal("all", request.QueryParameters()["sendUpdates"]);
        Assert.Equal("2026-11-23T15:00:00+01:00", request.Json()!["start"]!["dateTime"]!.GetValue<string>());
        var stored = Assert.Single(Google.InsertedEvents);
        Assert.Equal("Agenda: pricing", stored["description"]!.GetValue<string>());

        var listed = await Calendar.ListEventsAsync(Token, Monday, Monday.AddDays(1), cancellationToken: Timeouts.Test);
        Assert.Equal(created.Id, Assert.Single(listed).Id);
    }

    [Fact]
    public async Task InsertEventAsync_AllDayWithoutNotifications_SendsDates()
    {
        var created = await Calendar.InsertEventAsync(Token, new NewCalendarEvent
        {
            Summary = "Company holiday",
            Start = Monday,
            End = Monday.AddDays(1),
            AllDay = true,
        }, notifyAttendees: false, cancellationToken: Timeouts.Test);

        Assert.True(created.IsAllDay);
        Assert.Equal(new DateOnly(2026, 11, 24), created.End.Date);
        Assert.Equal("none", Google.RequestsTo(GoogleEndpoints.CalendarInsert).Single().QueryParameters()["sendUpdates"]);
    }

    [Fact]
    public async Task InsertEventAsync_EndBeforeStart_IsRefusedBeforeAnyRequest()
    {
        var newEvent = new NewCalendarEvent { Summary = "Backwards", Start = Monday.AddHours(2), End = Monday.AddHours(1) };

        await Assert.ThrowsAsync<ArgumentException>(() => Calendar.InsertEventAsync(Token, newEvent, cancellationToken: Timeouts.Test));
        Assert.Equal(0, Google.TotalCalls);
    }

    [Fact]
    public async Task ListEventsAsync_GmailOnlyToken_FailsWithInsufficientScopes()
    {
        var token = Google.IssueAccessToken(Alice, GoogleScopes.GmailReadonly);

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Calendar.ListEventsAsync(token, Monday, Monday.AddDays(1), cancellationToken: Timeouts.Test));

        Assert.Equal(HttpStatusCode.Forbidden, ex.StatusCode);
        Assert.Equal("Google Calendar", ex.Service);
    }

    [Fact]
    public async Task ListEventsAsync_ServiceUnavailable_IsTransient()
    {
        Google.FailNext(1, 503, "Backend Error", GoogleEndpoints.CalendarList);

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Calendar.ListEventsAsync(Token, Monday, Monday.AddDays(1), cancellationToken: Timeouts.Test));

        Assert.True(ex.IsTransient);
        Assert.Equal("UNAVAILABLE", ex.ErrorCode);
    }

    [Fact]
    public async Task Client_CalendarNotEnabled_SaysToSetGoogleCalendar()
    {
        await using var host = new ClientHost(Google.ConfigurationValues(calendarEnabled: false));
        var calendar = host.Get<ICalendarClient>();

        Assert.False(calendar.IsConfigured);
        var ex = await Assert.ThrowsAsync<ToolNotConfiguredException>(() => calendar.ListEventsAsync(Token, Monday, Monday.AddDays(1), cancellationToken: Timeouts.Test));
        Assert.Equal("Google Calendar is not enabled: set GOOGLE_CALENDAR=true", ex.Message);
        Assert.Equal(0, Google.TotalCalls);
    }
}
