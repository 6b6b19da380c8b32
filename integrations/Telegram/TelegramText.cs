namespace CompanyHub.Integrations.Telegram;

/// <summary>Texts as the Bot API takes them: at most <see cref="MaxLength"/> characters per message.</summary>
public static class TelegramText
{
    /// <summary>The most a message's text may hold (Bot API <c>sendMessage</c>: 1-4096 characters).</summary>
    public const int MaxLength = 4096;

    /// <summary>
    /// Splits <paramref name="text"/> into messages of at most <paramref name="max"/> characters, at the last line break
    /// (else space) in each part when there is one in its second half, never inside a surrogate pair. An empty text is one part.
    /// </summary>
    public static IReadOnlyList<string> Split(string text, int max = MaxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 2);
        var parts = new List<string>();
        var rest = text;
        while (rest.Length > max)
        {
            var cut = rest.LastIndexOf('\n', max - 1, max / 2);
            if (cut < 0)
            {
                cut = rest.LastIndexOf(' ', max - 1, max / 2);
            }

            var length = cut > 0 ? cut + 1 : max;
            if (char.IsHighSurrogate(rest[length - 1]))
            {
                length--;
            }

            var part = rest[..length];
            parts.Add(part.TrimEnd() is { Length: > 0 } trimmed ? trimmed : part);
            rest = rest[length..];
        }

        parts.Add(rest);
        return parts;
    }
}
