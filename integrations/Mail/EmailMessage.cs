namespace CompanyHub.Integrations.Mail;

/// <summary>
/// A plain-text email to send. Addresses are <c>alice@company.com</c> or <c>Alice Example &lt;alice@company.com&gt;</c>;
/// display names and the subject may hold any Unicode text. No header value may contain a line break.
/// </summary>
public sealed record EmailMessage
{
    /// <summary>Gets the sender; <c>null</c> lets Gmail use the signed-in account.</summary>
    public string? From { get; init; }

    /// <summary>Gets the primary recipients (at least one).</summary>
    public required IReadOnlyList<string> To { get; init; }

    /// <summary>Gets the carbon-copy recipients.</summary>
    public IReadOnlyList<string> Cc { get; init; } = [];

    /// <summary>Gets the blind-copy recipients (Gmail removes the header before delivery).</summary>
    public IReadOnlyList<string> Bcc { get; init; } = [];

    /// <summary>Gets the subject line.</summary>
    public required string Subject { get; init; }

    /// <summary>Gets the plain-text body; any line-ending style is accepted and sent as CRLF.</summary>
    public required string Body { get; init; }

    /// <summary>Gets the address replies should go to, when not the sender.</summary>
    public string? ReplyTo { get; init; }

    /// <summary>Gets the <c>Message-ID</c> of the email this one answers (sets <c>In-Reply-To</c> and <c>References</c>).</summary>
    public string? InReplyTo { get; init; }

    /// <summary>Gets the Gmail thread to file the message in, for replies.</summary>
    public string? ThreadId { get; init; }

    /// <summary>
    /// Gets the <c>Message-ID</c> to send with (<c>&lt;id@domain&gt;</c>); a new random one when <c>null</c>. A
    /// deterministic id (<see cref="MimeMessageBuilder.MessageIdFor"/>) lets a sender ask Gmail whether an earlier
    /// attempt of the same send already went out.
    /// </summary>
    public string? MessageId { get; init; }
}
