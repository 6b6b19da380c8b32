namespace CompanyHub.Fakes.Google;

/// <summary>
/// A message sent through the fake's <c>users.messages.send</c>, decoded from its base64url <c>raw</c> RFC 2822 text:
/// headers unfolded with encoded-words decoded, body decoded from its transfer encoding and charset.
/// </summary>
/// <param name="Account">The sending account (the access token's owner).</param>
/// <param name="GmailId">The id the fake gave the message.</param>
/// <param name="ThreadId">The thread it was filed in.</param>
/// <param name="Raw">The RFC 2822 text exactly as decoded from <c>raw</c>.</param>
/// <param name="Headers">The decoded headers, in order.</param>
/// <param name="From">The From address (addr-spec only), when present.</param>
/// <param name="To">The To addresses (addr-spec only).</param>
/// <param name="Cc">The Cc addresses.</param>
/// <param name="Bcc">The Bcc addresses.</param>
/// <param name="Subject">The decoded subject.</param>
/// <param name="Body">The decoded body with LF line ends.</param>
/// <param name="UsesCrlf">Whether every line of <see cref="Raw"/> ends in CRLF (no bare CR or LF).</param>
/// <param name="LongestLine">The longest line of <see cref="Raw"/>, in characters without its CRLF.</param>
public sealed record RecordedEmail(
    string Account,
    string GmailId,
    string ThreadId,
    string Raw,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    string? From,
    IReadOnlyList<string> To,
    IReadOnlyList<string> Cc,
    IReadOnlyList<string> Bcc,
    string? Subject,
    string Body,
    bool UsesCrlf,
    int LongestLine)
{
    /// <summary>The first header with that name (case-insensitive), decoded; null when absent.</summary>
    public string? Header(string name) =>
        Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>All headers with that name (a header injection would show up as a second one).</summary>
    public IReadOnlyList<string> HeaderValues(string name) =>
        Headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToArray();
}
