using System.Globalization;
using System.Text.RegularExpressions;

namespace CompanyHub.Fakes.Google;

/// <summary>
/// The part of Gmail's search language the fake understands: words and "quoted phrases" (subject, body, from, to),
/// <c>from:</c>, <c>to:</c>, <c>cc:</c>, <c>subject:</c>, <c>rfc822msgid:</c> (the Message-ID header, exact), <c>is:unread|read|starred</c>, <c>in:inbox|sent|anywhere</c>,
/// <c>label:</c>, <c>after:</c>/<c>before:</c> (yyyy/mm/dd), <c>newer_than:</c>/<c>older_than:</c> (Nd, Nm, Ny), and a
/// leading <c>-</c> to negate a term.
/// </summary>
internal static partial class GmailSearch
{
    public static bool Matches(StoredGmailMessage message, string query)
    {
        foreach (Match token in TokenPattern().Matches(query ?? string.Empty))
        {
            var negate = token.Groups["neg"].Success;
            var key = token.Groups["key"].Success ? token.Groups["key"].Value.ToLowerInvariant() : null;
            var value = (token.Groups["quoted"].Success ? token.Groups["quoted"].Value : token.Groups["word"].Value).Trim('"');
            if (TermMatches(message, key, value) == negate)
            {
                return false;
            }
        }

        return true;
    }

    private static bool TermMatches(StoredGmailMessage message, string? key, string value)
    {
        bool Has(string? text) => text?.Contains(value, StringComparison.OrdinalIgnoreCase) == true;
        return key switch
        {
            "from" => Has(message.Header("From")),
            "to" => Has(message.Header("To")),
            "cc" => Has(message.Header("Cc")),
            "subject" => Has(message.Header("Subject")),
            "rfc822msgid" => string.Equals(message.Header("Message-ID")?.Trim().Trim('<', '>'), value.Trim('<', '>'), StringComparison.OrdinalIgnoreCase),
            "is" => value.ToLowerInvariant() switch
            {
                "unread" => message.Labels.Contains("UNREAD"),
                "read" => !message.Labels.Contains("UNREAD"),
                "starred" => message.Labels.Contains("STARRED"),
                "important" => message.Labels.Contains("IMPORTANT"),
                _ => false,
            },
            "in" => value.ToLowerInvariant() == "anywhere" || message.Labels.Contains(value.ToUpperInvariant()),
            "label" => message.Labels.Any(l => l.Equals(value, StringComparison.OrdinalIgnoreCase)),
            "after" => TryDate(value, out var after) && message.Date >= after,
            "before" => TryDate(value, out var before) && message.Date < before,
            "newer_than" => TryAge(value, out var newer) && message.Date >= DateTimeOffset.UtcNow - newer,
            "older_than" => TryAge(value, out var older) && message.Date < DateTimeOffset.UtcNow - older,
            null => Has(message.Header("Subject")) || Has(message.Body) || Has(message.HtmlBody) || Has(message.Header("From")) || Has(message.Header("To")),
            _ => Has($"{key}:{value}") && (Has(message.Header("Subject")) || Has(message.Body)),
        };
    }

    private static bool TryDate(string value, out DateTimeOffset date) =>
        DateTimeOffset.TryParseExact(value, ["yyyy/MM/dd", "yyyy/M/d", "yyyy-MM-dd"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out date);

    private static bool TryAge(string value, out TimeSpan age)
    {
        age = TimeSpan.Zero;
        if (value.Length < 2 || !int.TryParse(value[..^1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        age = char.ToLowerInvariant(value[^1]) switch
        {
            'd' => TimeSpan.FromDays(n),
            'm' => TimeSpan.FromDays(30 * n),
            'y' => TimeSpan.FromDays(365 * n),
            _ => TimeSpan.Zero,
        };
        return age > TimeSpan.Zero;
    }

    [GeneratedRegex(@"(?<neg>-)?(?:(?<key>[a-zA-Z][a-zA-Z0-9_]*):)?(?:""(?<quoted>[^""]*)""|(?<word>[^\s]+))")]
    private static partial Regex TokenPattern();
}
