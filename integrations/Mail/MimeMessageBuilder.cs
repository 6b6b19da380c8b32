using System.Globalization;
using System.Net.Mail;
using System.Security.Cryptography;
using System.Text;

namespace CompanyHub.Integrations.Mail;

/// <summary>
/// Writes an <see cref="EmailMessage"/> as an RFC 5322 (2822) message: CRLF line endings, folded header lines,
/// RFC 2047 encoded-words for non-ASCII subjects and display names, a UTF-8 text/plain body in quoted-printable.
/// Every header value is checked for line breaks and control characters, so a value cannot inject a header.
/// Hand-written because no MIME library (MimeKit) restores from the registry here.
/// </summary>
public static class MimeMessageBuilder
{
    private const string Crlf = "\r\n";
    private const int FoldAt = 78;
    private const int MaxLine = 998;

    // 39 bytes → 52 base64 characters → a 64-character encoded word; with "Subject: " in front a line stays under 76.
    private const int EncodedWordBytes = 39;

    /// <summary>Builds the message text. Its characters are all ASCII.</summary>
    /// <param name="message">The email.</param>
    /// <param name="date">The <c>Date</c> header.</param>
    /// <param name="messageId">The <c>Message-ID</c> with angle brackets; a new one when <c>null</c>.</param>
    /// <exception cref="ArgumentException">An address is invalid, there is no recipient, or a header value holds a line break.</exception>
    public static string Build(EmailMessage message, DateTimeOffset date, string? messageId = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(message.To);
        ArgumentNullException.ThrowIfNull(message.Subject);
        ArgumentNullException.ThrowIfNull(message.Body);
        if (message.To.Count == 0)
        {
            throw new ArgumentException("An email needs at least one To recipient.", nameof(message));
        }

        var from = message.From is null ? null : ParseMailbox(message.From, "From");
        var text = new StringBuilder();
        if (from is not null)
        {
            AppendHeader(text, "From", FormatMailbox(from));
        }

        AppendAddressList(text, "To", message.To);
        AppendAddressList(text, "Cc", message.Cc);
        AppendAddressList(text, "Bcc", message.Bcc);
        if (message.ReplyTo is not null)
        {
            AppendHeader(text, "Reply-To", FormatMailbox(ParseMailbox(message.ReplyTo, "Reply-To")));
        }

        EnsureHeaderSafe(message.Subject, "Subject");
        AppendHeader(text, "Subject", EncodeUnstructured(message.Subject));
        AppendHeader(text, "Date", FormatDate(date));
        messageId ??= NewMessageId(from?.Host ?? "companyhub.local");
        AppendHeader(text, "Message-ID", FormatMessageId(messageId, "Message-ID"));
        if (message.InReplyTo is { Length: > 0 } inReplyTo)
        {
            var reference = FormatMessageId(inReplyTo, "InReplyTo");
            AppendHeader(text, "In-Reply-To", reference);
            AppendHeader(text, "References", reference);
        }

        AppendHeader(text, "MIME-Version", "1.0");
        AppendHeader(text, "Content-Type", "text/plain; charset=UTF-8");
        AppendHeader(text, "Content-Transfer-Encoding", "quoted-printable");
        text.Append(Crlf);
        text.Append(QuotedPrintable.Encode(message.Body));
        return text.ToString();
    }

    /// <summary>
    /// The <c>Message-ID</c> of the send identified by <paramref name="idempotencyKey"/>: the same key gives the same
    /// id, so every attempt of one approved send carries it and Gmail can be searched for it (<c>rfc822msgid:</c>).
    /// </summary>
    public static string MessageIdFor(string idempotencyKey, string domain)
    {
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        ArgumentException.ThrowIfNullOrEmpty(domain);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)));
        return $"<{hash[..40]}.hub@{domain}>";
    }

    /// <summary>The domain of an address (for the right-hand side of a <c>Message-ID</c>).</summary>
    public static string DomainOf(string? address) =>
        address is { } a && a.LastIndexOf('@') is var at and > 0 && a[(at + 1)..].TrimEnd('>', ' ') is { Length: > 0 } domain ? domain : "companyhub.local";

    /// <summary>A new globally unique <c>Message-ID</c>, <c>&lt;random@domain&gt;</c>.</summary>
    public static string NewMessageId(string domain) =>
        $"<{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}@{domain}>";

    /// <summary>An RFC 5322 date: <c>Sat, 22 Nov 2026 04:12:00 +0000</c>.</summary>
    public static string FormatDate(DateTimeOffset date)
    {
        var offset = date.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        var abs = offset.Duration();
        return date.ToString("ddd, dd MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture)
            + sign + abs.Hours.ToString("00", CultureInfo.InvariantCulture) + abs.Minutes.ToString("00", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Encodes text for an unstructured header (Subject): as is when it is short-worded ASCII, otherwise as
    /// RFC 2047 "B" encoded-words of UTF-8, split on character boundaries.
    /// </summary>
    public static string EncodeUnstructured(string value)
    {
        EnsureHeaderSafe(value, "header");
        var needsEncoding = !IsPrintableAscii(value)
            || value.Contains("=?", StringComparison.Ordinal)
            || value.Split(' ').Any(word => word.Length > FoldAt - 10);
        return needsEncoding ? EncodeWords(value) : value;
    }

    /// <summary>Refuses a header value with a line break or another control character (header injection).</summary>
    public static void EnsureHeaderSafe(string value, string field)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (var c in value)
        {
            if (c is '\r' or '\n')
            {
                throw new ArgumentException($"{field} must not contain a line break (header injection refused).", field);
            }

            if ((char.IsControl(c) && c != '\t') || c == '\u2028' || c == '\u2029')
            {
                throw new ArgumentException($"{field} must not contain control characters (U+{(int)c:X4}).", field);
            }
        }
    }

    private static void AppendAddressList(StringBuilder text, string name, IReadOnlyList<string>? addresses)
    {
        if (addresses is null || addresses.Count == 0)
        {
            return;
        }

        AppendHeader(text, name, string.Join(", ", addresses.Select(a => FormatMailbox(ParseMailbox(a, name)))));
    }

    private static MailAddress ParseMailbox(string value, string field)
    {
        ArgumentNullException.ThrowIfNull(value);
        EnsureHeaderSafe(value, field);
        if (!MailAddress.TryCreate(value.Trim(), out var address) || string.IsNullOrEmpty(address.User) || string.IsNullOrEmpty(address.Host))
        {
            throw new ArgumentException($"{field} has an invalid email address: '{value}'.", field);
        }

        if (!IsPrintableAscii(address.User) || address.User.Contains(' ', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{field} has an address whose local part is not plain ASCII: '{value}' (SMTPUTF8 is not supported).", field);
        }

        return address;
    }

    private static string FormatMailbox(MailAddress address)
    {
        var host = IsPrintableAscii(address.Host) ? address.Host : new IdnMapping().GetAscii(address.Host);
        var addrSpec = $"{address.User}@{host}";
        var name = address.DisplayName.Trim();
        return name.Length == 0 ? addrSpec : $"{EncodePhrase(name)} <{addrSpec}>";
    }

    /// <summary>A display name: atoms as is, other ASCII as a quoted-string, non-ASCII as encoded-words.</summary>
    private static string EncodePhrase(string name)
    {
        if (!IsPrintableAscii(name) || name.Contains("=?", StringComparison.Ordinal))
        {
            return EncodeWords(name);
        }

        if (name.All(c => char.IsAsciiLetterOrDigit(c) || c == ' ' || "!#$%&'*+-/=?^_`{|}~".Contains(c, StringComparison.Ordinal)))
        {
            return name;
        }

        return "\"" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }

    private static string EncodeWords(string value)
    {
        var words = new List<string>();
        var chunk = new List<byte>(EncodedWordBytes);
        Span<byte> buffer = stackalloc byte[4];
        foreach (var rune in value.EnumerateRunes())
        {
            var length = rune.EncodeToUtf8(buffer);
            if (chunk.Count + length > EncodedWordBytes)
            {
                words.Add(EncodedWord(chunk));
                chunk.Clear();
            }

            for (var i = 0; i < length; i++)
            {
                chunk.Add(buffer[i]);
            }
        }

        if (chunk.Count > 0 || words.Count == 0)
        {
            words.Add(EncodedWord(chunk));
        }

        // Whitespace between adjacent encoded-words is ignored by decoders (RFC 2047 §6.2), so it is a safe fold point.
        return string.Join(' ', words);
    }

    private static string EncodedWord(List<byte> bytes) => "=?UTF-8?B?" + Convert.ToBase64String(bytes.ToArray()) + "?=";

    private static string FormatMessageId(string id, string field)
    {
        EnsureHeaderSafe(id, field);
        var trimmed = id.Trim();
        var inner = trimmed.StartsWith('<') && trimmed.EndsWith('>') ? trimmed[1..^1] : trimmed;
        if (inner.Length == 0 || !IsPrintableAscii(inner) || inner.IndexOfAny([' ', '<', '>', '"', '\t']) >= 0 || !inner.Contains('@', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{field} is not a valid message id: '{id}'.", field);
        }

        return "<" + inner + ">";
    }

    /// <summary>Appends <c>Name: value</c>, folded before spaces so lines stay within 78 characters where possible.</summary>
    private static void AppendHeader(StringBuilder text, string name, string value)
    {
        var line = name + ": " + value;
        var start = 0;
        while (line.Length - start > FoldAt)
        {
            var limit = start + FoldAt;
            var minimum = start == 0 ? name.Length + 1 : start;
            var fold = line.LastIndexOf(' ', limit, limit - start);
            if (fold <= minimum)
            {
                fold = line.IndexOf(' ', limit);
                if (fold < 0)
                {
                    break;
                }
            }

            Append(text, line.AsSpan(start, fold - start), name);
            start = fold; // the folded line starts with the space (RFC 5322 §2.2.3)
        }

        Append(text, line.AsSpan(start), name);
    }

    private static void Append(StringBuilder text, ReadOnlySpan<char> line, string name)
    {
        if (line.Length > MaxLine)
        {
            throw new ArgumentException($"The {name} header has a part longer than {MaxLine} characters that cannot be folded.", name);
        }

        text.Append(line).Append(Crlf);
    }

    private static bool IsPrintableAscii(string value) => value.All(c => c is >= ' ' and <= '~' or '\t');
}
