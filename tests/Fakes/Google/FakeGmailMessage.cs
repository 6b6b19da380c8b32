namespace CompanyHub.Fakes.Google;

/// <summary>A message to put into a fake mailbox.</summary>
public sealed record FakeGmailMessage
{
    /// <summary>Gets the From header, such as <c>Bob &lt;bob@example.com&gt;</c>.</summary>
    public required string From { get; init; }

    /// <summary>Gets the To header; the mailbox owner when null.</summary>
    public string? To { get; init; }

    /// <summary>Gets the Cc header.</summary>
    public string? Cc { get; init; }

    /// <summary>Gets the Bcc header (kept in the sender's own copy: a draft, a sent message).</summary>
    public string? Bcc { get; init; }

    /// <summary>Gets the subject.</summary>
    public required string Subject { get; init; }

    /// <summary>Gets the text/plain body.</summary>
    public string Body { get; init; } = string.Empty;

    /// <summary>Gets a text/html alternative; the message becomes multipart/alternative (or HTML-only when <see cref="Body"/> is empty).</summary>
    public string? HtmlBody { get; init; }

    /// <summary>Gets when it arrived. Default is now.</summary>
    public DateTimeOffset Date { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Gets the labels. Default is INBOX and UNREAD.</summary>
    public IReadOnlyList<string> Labels { get; init; } = ["INBOX", "UNREAD"];

    /// <summary>Gets the thread; a new one when null.</summary>
    public string? ThreadId { get; init; }

    /// <summary>Gets the Message-ID header; a generated one when null.</summary>
    public string? MessageId { get; init; }

    /// <summary>Gets attachment file names (the parts carry no data).</summary>
    public IReadOnlyList<string> Attachments { get; init; } = [];
}
