namespace CompanyHub.Integrations.Google.Calendar;

/// <summary>An event to create.</summary>
public sealed record NewCalendarEvent
{
    /// <summary>Gets the title.</summary>
    public required string Summary { get; init; }

    /// <summary>Gets the start; for an all-day event only its date counts.</summary>
    public required DateTimeOffset Start { get; init; }

    /// <summary>Gets the end (after the start); for an all-day event the first day after it (exclusive).</summary>
    public required DateTimeOffset End { get; init; }

    /// <summary>Gets a value indicating whether the event lasts whole days.</summary>
    public bool AllDay { get; init; }

    /// <summary>Gets the IANA time zone, such as <c>Europe/Berlin</c>; needed only for recurring events and display.</summary>
    public string? TimeZone { get; init; }

    /// <summary>Gets the description.</summary>
    public string? Description { get; init; }

    /// <summary>Gets the location.</summary>
    public string? Location { get; init; }

    /// <summary>
    /// Gets the event id to create it with (base32hex: digits and a–v, 5 to 1024 characters); Google picks one when
    /// null. With a chosen id a repeated insert is refused (409) instead of creating the event twice.
    /// </summary>
    public string? Id { get; init; }

    /// <summary>Gets the guests' email addresses.</summary>
    public IReadOnlyList<string> Attendees { get; init; } = [];
}
