namespace CompanyHub.Fakes.Google;

/// <summary>A message in a fake mailbox.</summary>
internal sealed class StoredGmailMessage
{
    public required string Id { get; init; }

    public required string ThreadId { get; init; }

    public required List<string> Labels { get; init; }

    public required DateTimeOffset Date { get; init; }

    /// <summary>The decoded headers, in order.</summary>
    public required List<KeyValuePair<string, string>> Headers { get; init; }

    public required string Body { get; init; }

    public string? HtmlBody { get; init; }

    public IReadOnlyList<string> Attachments { get; init; } = [];

    public string? Header(string name) => Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
}
