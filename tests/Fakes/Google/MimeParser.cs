using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CompanyHub.Fakes.Google;

/// <summary>
/// Reads an RFC 2822 message the way a mail server would, independently of the app's builder: header unfolding,
/// RFC 2047 encoded-words (B and Q), base64 and quoted-printable bodies, UTF-8/ASCII/Latin-1 charsets.
/// </summary>
internal static partial class MimeParser
{
    public sealed record Parsed(List<KeyValuePair<string, string>> Headers, string Body, bool UsesCrlf, int LongestLine)
    {
        public string? Header(string name) =>
            Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
    }

    public static Parsed Parse(byte[] raw)
    {
        var text = Encoding.UTF8.GetString(raw);
        var usesCrlf = UsesCrlfOnly(text);
        var longest = text.Split("\r\n").Max(l => l.Length);

        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var separatorLength = 4;
        if (split < 0)
        {
            split = text.IndexOf("\n\n", StringComparison.Ordinal);
            separatorLength = 2;
        }

        var headerText = split < 0 ? text : text[..split];
        var bodyText = split < 0 ? string.Empty : text[(split + separatorLength)..];

        // Unfolding (RFC 5322 §2.2.3): a line break followed by whitespace is removed.
        var unfolded = FoldPattern().Replace(headerText, string.Empty);
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in unfolded.Split('\n'))
        {
            var trimmed = line.TrimEnd('\r');
            var colon = trimmed.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            headers.Add(new(trimmed[..colon].Trim(), DecodeWords(trimmed[(colon + 1)..].Trim())));
        }

        var parsed = new Parsed(headers, string.Empty, usesCrlf, longest);
        var transfer = (parsed.Header("Content-Transfer-Encoding") ?? "7bit").Trim().ToLowerInvariant();
        var bytes = transfer switch
        {
            "base64" => Convert.FromBase64String(WhitespacePattern().Replace(bodyText, string.Empty)),
            "quoted-printable" => DecodeQuotedPrintable(bodyText),
            _ => Encoding.UTF8.GetBytes(bodyText),
        };
        var charset = CharsetPattern().Match(parsed.Header("Content-Type") ?? string.Empty) is { Success: true } m ? m.Groups[1].Value : "us-ascii";
        var body = GetEncoding(charset).GetString(bytes).Replace("\r\n", "\n", StringComparison.Ordinal);
        return parsed with { Body = body };
    }

    /// <summary>The addr-specs of an address-list header: <c>"A, B" &lt;a@x&gt;, b@y</c> → <c>a@x</c>, <c>b@y</c>.</summary>
    public static List<string> Addresses(string? header)
    {
        var result = new List<string>();
        if (string.IsNullOrWhiteSpace(header))
        {
            return result;
        }

        var current = new StringBuilder();
        var inQuotes = false;
        var inAngle = false;
        foreach (var c in header)
        {
            switch (c)
            {
                case '"':
                    inQuotes = !inQuotes;
                    break;
                case '<' when !inQuotes:
                    inAngle = true;
                    break;
                case '>' when !inQuotes:
                    inAngle = false;
                    break;
                case ',' when !inQuotes && !inAngle:
                    Add(current.ToString());
                    current.Clear();
                    continue;
            }

            current.Append(c);
        }

        Add(current.ToString());
        return result;

        void Add(string mailbox)
        {
            var trimmed = mailbox.Trim();
            if (trimmed.Length == 0)
            {
                return;
            }

            var open = trimmed.LastIndexOf('<');
            var close = trimmed.LastIndexOf('>');
            result.Add(open >= 0 && close > open ? trimmed[(open + 1)..close].Trim() : trimmed);
        }
    }

    public static string DecodeWords(string value)
    {
        // Whitespace between two adjacent encoded-words is not part of the text (RFC 2047 §6.2).
        var joined = AdjacentWordsPattern().Replace(value, "?==?");
        return EncodedWordPattern().Replace(joined, m =>
        {
            var encoding = GetEncoding(m.Groups["charset"].Value);
            var payload = m.Groups["text"].Value;
            var bytes = m.Groups["enc"].Value.Equals("B", StringComparison.OrdinalIgnoreCase)
                ? Convert.FromBase64String(payload)
                : DecodeQuotedPrintable(payload.Replace('_', ' '));
            return encoding.GetString(bytes);
        });
    }

    private static byte[] DecodeQuotedPrintable(string text)
    {
        var withoutSoftBreaks = text.Replace("=\r\n", string.Empty, StringComparison.Ordinal).Replace("=\n", string.Empty, StringComparison.Ordinal);
        var output = new List<byte>(withoutSoftBreaks.Length);
        for (var i = 0; i < withoutSoftBreaks.Length; i++)
        {
            var c = withoutSoftBreaks[i];
            if (c == '=' && i + 2 < withoutSoftBreaks.Length && byte.TryParse(withoutSoftBreaks.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
            {
                output.Add(b);
                i += 2;
            }
            else
            {
                output.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }

        return [.. output];
    }

    private static Encoding GetEncoding(string charset) => charset.Trim('"').ToLowerInvariant() switch
    {
        "utf-8" or "utf8" => Encoding.UTF8,
        "iso-8859-1" or "latin1" => Encoding.Latin1,
        _ => Encoding.ASCII,
    };

    private static bool UsesCrlfOnly(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
            {
                return false;
            }

            if (text[i] == '\r' && (i + 1 >= text.Length || text[i + 1] != '\n'))
            {
                return false;
            }
        }

        return true;
    }

    [GeneratedRegex(@"\r?\n(?=[ \t])")]
    private static partial Regex FoldPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespacePattern();

    [GeneratedRegex(@"charset\s*=\s*""?([^"";\s]+)", RegexOptions.IgnoreCase)]
    private static partial Regex CharsetPattern();

    [GeneratedRegex(@"\?=\s+=\?")]
    private static partial Regex AdjacentWordsPattern();

    [GeneratedRegex(@"=\?(?<charset>[^?]+)\?(?<enc>[BbQq])\?(?<text>[^?]*)\?=")]
    private static partial Regex EncodedWordPattern();
}
