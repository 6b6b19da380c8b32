using System.Text;
using System.Text.RegularExpressions;
using CompanyHub.Integrations.Mail;

namespace CompanyHub.Integrations.Tests.Mail;

public sealed partial class MimeMessageBuilderTests
{
    private static readonly DateTimeOffset Date = new(2026, 11, 22, 4, 12, 0, TimeSpan.FromHours(1));

    private static EmailMessage Message(string subject = "Hello", string body = "Hi Sarah,\nThanks.", string from = "alice@company.com") => new()
    {
        From = from,
        To = ["client@acme.com"],
        Subject = subject,
        Body = body,
    };

    [Fact]
    public void Build_AsciiMessage_HasTheRfc5322AndMimeHeaders()
    {
        var text = MimeMessageBuilder.Build(Message(), Date, "<id-1@company.com>");
        var headers = text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)];

        Assert.Contains("From: alice@company.com\r\n", headers, StringComparison.Ordinal);
        Assert.Contains("To: client@acme.com\r\n", headers, StringComparison.Ordinal);
        Assert.Contains("Subject: Hello\r\n", headers, StringComparison.Ordinal);
        Assert.Contains("Date: Sun, 22 Nov 2026 04:12:00 +0100\r\n", headers, StringComparison.Ordinal);
        Assert.Contains("Message-ID: <id-1@company.com>\r\n", headers, StringComparison.Ordinal);
        Assert.Contains("MIME-Version: 1.0\r\n", headers, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain; charset=UTF-8\r\n", headers, StringComparison.Ordinal);
        Assert.EndsWith("Content-Transfer-Encoding: quoted-printable", headers, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_AnyBodyLineEndings_AreAllCrlf()
    {
        var text = MimeMessageBuilder.Build(Message(body: "one\ntwo\r\nthree\rfour"), Date);

        Assert.DoesNotMatch(BareLineBreak(), text);
        Assert.EndsWith("\r\n\r\none\r\ntwo\r\nthree\r\nfour", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_Utf8Subject_IsEncodedWordsThatDecodeToTheSubject()
    {
        const string subject = "Grüße aus Zürich — 会議の確認 🎉 and a fairly long tail to force several encoded words";
        var text = MimeMessageBuilder.Build(Message(subject: subject), Date);

        var subjectHeader = HeaderBlock(text).Split("\r\n").SkipWhile(l => !l.StartsWith("Subject:", StringComparison.Ordinal))
            .TakeWhile((l, i) => i == 0 || l.StartsWith(' ')).ToArray();
        Assert.True(subjectHeader.Length > 1, "a long subject is folded over several lines");
        Assert.All(subjectHeader, line => Assert.True(line.Length <= 76, $"encoded-word line too long: {line.Length}"));
        Assert.All(subjectHeader, line => Assert.True(line.All(c => c < 128), "header lines are ASCII"));
        Assert.Equal(subject, DecodeWords(string.Concat(subjectHeader)["Subject:".Length..]));
    }

    [Fact]
    public void Build_NonAsciiDisplayName_IsEncodedAndAddressStaysPlain()
    {
        var message = Message() with { From = "Zoë Ünal <zoe@company.com>", To = ["\"Smith, Jane\" <jane@acme.com>", "bob@acme.com"] };
        var text = MimeMessageBuilder.Build(message, Date);

        var from = Header(text, "From");
        Assert.Matches(@"^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= <zoe@company\.com>$", from);
        Assert.Equal("Zoë Ünal", DecodeWords(from[..from.IndexOf(" <", StringComparison.Ordinal)]));
        Assert.Equal("\"Smith, Jane\" <jane@acme.com>, bob@acme.com", Header(text, "To"));
    }

    [Theory]
    [InlineData("Hello\r\nBcc: victim@example.com")]
    [InlineData("Hello\nX-Injected: yes")]
    [InlineData("Hello\r")]
    [InlineData("Hello\u0000")]
    [InlineData("Hello\u2028world")]
    public void Build_SubjectWithLineBreakOrControl_IsRefused(string subject)
    {
        var ex = Assert.Throws<ArgumentException>(() => MimeMessageBuilder.Build(Message(subject: subject), Date));
        Assert.Contains("Subject", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("client@acme.com\r\nBcc: victim@example.com")]
    [InlineData("Eve\n <eve@example.com>")]
    public void Build_AddressWithLineBreak_IsRefused(string to)
    {
        var ex = Assert.Throws<ArgumentException>(() => MimeMessageBuilder.Build(Message() with { To = [to] }, Date));
        Assert.Contains("header injection", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ReplyToWithLineBreak_IsRefused() =>
        Assert.Throws<ArgumentException>(() => MimeMessageBuilder.Build(Message() with { ReplyTo = "a@b.com\nBcc: c@d.com" }, Date));

    [Theory]
    [InlineData("not an address")]
    [InlineData("@acme.com")]
    [InlineData("jörg@acme.com")]
    public void Build_InvalidAddress_IsRefused(string to) =>
        Assert.Throws<ArgumentException>(() => MimeMessageBuilder.Build(Message() with { To = [to] }, Date));

    [Fact]
    public void Build_NoRecipient_IsRefused() =>
        Assert.Throws<ArgumentException>(() => MimeMessageBuilder.Build(Message() with { To = [] }, Date));

    [Fact]
    public void Build_InternationalDomain_IsPunycode()
    {
        var text = MimeMessageBuilder.Build(Message() with { To = ["info@bücher.example"] }, Date);
        Assert.Equal("info@xn--bcher-kva.example", Header(text, "To"));
    }

    [Fact]
    public void Build_ManyRecipients_HeaderIsFoldedUnder78Columns()
    {
        var to = Enumerable.Range(1, 12).Select(i => $"Person Number {i} <person.number.{i}@example.com>").ToArray();
        var text = MimeMessageBuilder.Build(Message() with { To = to }, Date);

        Assert.All(HeaderBlock(text).Split("\r\n"), line => Assert.True(line.Length <= 78, $"{line.Length}: {line}"));
        Assert.Equal(string.Join(", ", to), Header(text, "To"));
    }

    [Fact]
    public void Build_InReplyTo_SetsInReplyToAndReferences()
    {
        var text = MimeMessageBuilder.Build(Message() with { InReplyTo = "abc@mail.gmail.com" }, Date);

        Assert.Equal("<abc@mail.gmail.com>", Header(text, "In-Reply-To"));
        Assert.Equal("<abc@mail.gmail.com>", Header(text, "References"));
    }

    [Fact]
    public void Build_Cc_Bcc_ReplyTo_AreWritten()
    {
        var text = MimeMessageBuilder.Build(Message() with { Cc = ["c@acme.com"], Bcc = ["b@acme.com"], ReplyTo = "Team <team@company.com>" }, Date);

        Assert.Equal("c@acme.com", Header(text, "Cc"));
        Assert.Equal("b@acme.com", Header(text, "Bcc"));
        Assert.Equal("Team <team@company.com>", Header(text, "Reply-To"));
    }

    [Fact]
    public void Build_WithoutMessageId_GeneratesOneAtTheSendersDomain()
    {
        var text = MimeMessageBuilder.Build(Message(), Date);
        Assert.Matches(@"^<[0-9a-f]{32}@company\.com>$", Header(text, "Message-ID"));
    }

    [Fact]
    public void QuotedPrintable_Encode_EscapesEqualsAndNonAsciiAndTrailingSpace()
    {
        Assert.Equal("a=3Db", QuotedPrintable.Encode("a=b"));
        Assert.Equal("caf=C3=A9", QuotedPrintable.Encode("café"));
        Assert.Equal("end=20\r\nnext=09", QuotedPrintable.Encode("end \nnext\t"));
        Assert.Equal("keep inner spaces", QuotedPrintable.Encode("keep inner spaces"));
    }

    [Fact]
    public void QuotedPrintable_Encode_LongLinesGetSoftBreaksWithinSeventySixColumns()
    {
        var line = string.Concat(Enumerable.Repeat("Grüße=", 40));
        var encoded = QuotedPrintable.Encode(line);

        Assert.All(encoded.Split("\r\n"), l => Assert.True(l.Length <= 76, $"{l.Length}: {l}"));
        Assert.Equal(line, DecodeQuotedPrintable(encoded));
    }

    [Fact]
    public void FormatDate_NegativeOffset_IsRfc5322()
    {
        Assert.Equal("Mon, 05 Jan 2026 09:30:00 -0330", MimeMessageBuilder.FormatDate(new DateTimeOffset(2026, 1, 5, 9, 30, 0, TimeSpan.FromHours(-3.5))));
    }

    private static string HeaderBlock(string text) => text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)];

    /// <summary>A header's unfolded value.</summary>
    private static string Header(string text, string name)
    {
        var unfolded = Regex.Replace(HeaderBlock(text), "\r\n(?=[ \t])", string.Empty);
        var line = unfolded.Split("\r\n").Single(l => l.StartsWith(name + ": ", StringComparison.Ordinal));
        return line[(name.Length + 2)..];
    }

    private static string DecodeWords(string value)
    {
        var bytes = new List<byte>();
        foreach (Match match in EncodedWord().Matches(value))
        {
            bytes.AddRange(Convert.FromBase64String(match.Groups[1].Value));
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    private static string DecodeQuotedPrintable(string text)
    {
        var joined = text.Replace("=\r\n", string.Empty, StringComparison.Ordinal);
        var bytes = new List<byte>();
        for (var i = 0; i < joined.Length; i++)
        {
            if (joined[i] == '=')
            {
                bytes.Add(Convert.ToByte(joined.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.Add((byte)joined[i]);
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    [GeneratedRegex(@"(?<!\r)\n|\r(?!\n)")]
    private static partial Regex BareLineBreak();

    [GeneratedRegex(@"=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=")]
    private static partial Regex EncodedWord();
}
