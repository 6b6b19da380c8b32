using System.Text;

namespace CompanyHub.Integrations.Mail;

/// <summary>Quoted-printable (RFC 2045 §6.7) for a UTF-8 text body, with CRLF line breaks and lines of at most 76 characters.</summary>
public static class QuotedPrintable
{
    private const int MaxEncodedLine = 76;

    /// <summary>Encodes text; its line breaks (LF, CRLF or CR) become CRLF hard breaks.</summary>
    public static string Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');
        var output = new StringBuilder(text.Length + (text.Length / 8));
        for (var i = 0; i < lines.Length; i++)
        {
            if (i > 0)
            {
                output.Append("\r\n");
            }

            EncodeLine(Encoding.UTF8.GetBytes(lines[i]), output);
        }

        return output.ToString();
    }

    private static void EncodeLine(byte[] bytes, StringBuilder output)
    {
        var column = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            var isLast = i == bytes.Length - 1;
            // Whitespace at the end of a line would be stripped in transport, so it is encoded there (§6.7 rule 3).
            var literal = b is >= 33 and <= 126 and not (byte)'=' || (b is (byte)' ' or (byte)'\t' && !isLast);
            var width = literal ? 1 : 3;

            // Leave room for the "=" of a soft break unless this is the line's last token.
            var room = isLast ? MaxEncodedLine : MaxEncodedLine - 1;
            if (column + width > room)
            {
                output.Append("=\r\n");
                column = 0;
            }

            if (literal)
            {
                output.Append((char)b);
            }
            else
            {
                output.Append('=').Append(Convert.ToHexString([b]));
            }

            column += width;
        }
    }
}
