namespace CompanyHub.Integrations.Google.Calendar;

/// <summary>Changes to an event (a PATCH): only the fields set change.</summary>
public sealed record CalendarEventChanges
{
    public string? Summary { get; init; }

    public DateTimeOffset? Start { get; init; }

    public DateTimeOffset? End { get; init; }

    public string? Description { get; init; }

    public string? Location { get; init; }

    /// <summary>Gets the whole new guest list; guests already invited keep their answers. Null leaves the guests.</summary>
    public IReadOnlyList<string>? Attendees { get; init; }

    /// <summary>Gets a value indicating whether nothing would change.</summary>
    public bool IsEmpty => Summary is null && Start is null && End is null && Description is null && Location is null && Attendees is null;
}
