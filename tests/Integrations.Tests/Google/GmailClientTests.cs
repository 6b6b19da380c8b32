using System.Net;
using CompanyHub.Fakes;
using CompanyHub.Fakes.Google;
using CompanyHub.Integrations.Google;
using CompanyHub.Integrations.Google.Gmail;
using CompanyHub.Integrations.Mail;

namespace CompanyHub.Integrations.Tests.Google;

public sealed class GmailClientTests : GoogleTestBase
{
    private IGmailClient Gmail => Host.Get<IGmailClient>();

    private string ReadToken => Google.IssueAccessToken(Alice, GoogleScopes.GmailReadonly);

    private string SendToken => Google.IssueAccessToken(Alice, GoogleScopes.GmailSend);

    [Fact]
    public async Task ListLabelsAsync_MapsIdsToNames_SystemAndUserLabels()
    {
        var acme = Google.Account(Alice).AddLabel("Clients/Acme");

        var labels = await Gmail.ListLabelsAsync(ReadToken, Timeouts.Test);

        Assert.Equal("Clients/Acme", labels[acme]);
        Assert.Equal("INBOX", labels["INBOX"]);
        Assert.Equal("/gmail/v1/users/me/labels", Assert.Single(Google.RequestsTo(GoogleEndpoints.GmailLabels)).Path);
    }

    [Fact]
    public async Task SendAsync_Utf8SubjectAndBody_ArriveDecodedAsWritten()
    {
        var message = new EmailMessage
        {
            From = "Alice Example <alice@company.com>",
            To = ["Sarah Müller <sarah@acme.com>"],
            Cc = ["bob@acme.com"],
            Subject = "Follow-up on Q2 proposal — Grüße 🎉",
            Body = "Hi Sarah,\nFollowing up on our conversation yesterday…\n\nPrice: 5 € = fair\n",
        };

        var sent = await Gmail.SendAsync(SendToken, message, Timeouts.Test);

        var email = Assert.Single(Google.SentEmails);
        Assert.Equal(sent.Id, email.GmailId);
        Assert.Equal(sent.ThreadId, email.ThreadId);
        Assert.Equal(message.Subject, email.Subject);
        Assert.Equal(message.Body, email.Body);
        Assert.Equal("alice@company.com", email.From);
        Assert.Equal(["sarah@acme.com"], email.To);
        Assert.Equal(["bob@acme.com"], email.Cc);
        Assert.Equal("Sarah Müller <sarah@acme.com>", email.Header("To"));
        Assert.Equal(sent.MessageIdHeader, email.Header("Message-ID"));
    }

    [Fact]
    public async Task SendAsync_RawMessage_IsCrlfMimeWithShortLines()
    {
        await Gmail.SendAsync(SendToken, new EmailMessage { To = ["sarah@acme.com"], Subject = "Hi", Body = new string('x', 300) + "\nend" }, Timeouts.Test);

        var email = Assert.Single(Google.SentEmails);
        Assert.True(email.UsesCrlf);
        Assert.True(email.LongestLine <= 78, $"longest line {email.LongestLine}");
        Assert.Equal("1.0", email.Header("MIME-Version"));
        Assert.Equal("text/plain; charset=UTF-8", email.Header("Content-Type"));
        Assert.Equal("quoted-printable", email.Header("Content-Transfer-Encoding"));
        Assert.True(DateTimeOffset.TryParse(email.Header("Date"), out var date) && Math.Abs((date - DateTimeOffset.UtcNow).TotalMinutes) < 5);
        Assert.Null(email.Header("From"));
        Assert.Equal(1, Google.Account(Alice).MessageCount);
    }

    [Fact]
    public async Task SendAsync_SubjectWithHeaderInjection_IsRefusedBeforeAnyRequest()
    {
        var message = new EmailMessage { To = ["sarah@acme.com"], Subject = "Hi\r\nBcc: everyone@acme.com", Body = "x" };

        await Assert.ThrowsAsync<ArgumentException>(() => Gmail.SendAsync(SendToken, message, Timeouts.Test));

        Assert.Equal(0, Google.TotalCalls);
        Assert.Empty(Google.SentEmails);
    }

    [Fact]
    public async Task SendAsync_Reply_StaysInTheThreadAndReferencesTheOriginal()
    {
        var originalId = Google.Account(Alice).AddMessage(new FakeGmailMessage { From = "sarah@acme.com", Subject = "Q2", Body = "?", ThreadId = "thread-q2", MessageId = "<q2@acme.com>" });
        var original = await Gmail.GetMessageAsync(ReadToken, originalId, cancellationToken: Timeouts.Test);

        var sent = await Gmail.SendAsync(SendToken, new EmailMessage
        {
            To = ["sarah@acme.com"],
            Subject = "Re: Q2",
            Body = "Yes.",
            InReplyTo = original.MessageIdHeader,
            ThreadId = original.ThreadId,
        }, Timeouts.Test);

        Assert.Equal("thread-q2", sent.ThreadId);
        var email = Assert.Single(Google.SentEmails);
        Assert.Equal("<q2@acme.com>", email.Header("In-Reply-To"));
        Assert.Equal("<q2@acme.com>", email.Header("References"));
        Assert.Equal("thread-q2", Google.RequestsTo(GoogleEndpoints.GmailSend).Single().Json()!["threadId"]!.GetValue<string>());
    }

    [Fact]
    public async Task SendAsync_OnlyReadonlyScope_FailsWithInsufficientScopes()
    {
        var ex = await Assert.ThrowsAsync<IntegrationException>(() =>
            Gmail.SendAsync(ReadToken, new EmailMessage { To = ["a@acme.com"], Subject = "s", Body = "b" }, Timeouts.Test));

        Assert.Equal(HttpStatusCode.Forbidden, ex.StatusCode);
        Assert.Equal("PERMISSION_DENIED", ex.ErrorCode);
        Assert.Equal("Request had insufficient authentication scopes.", ex.ServiceMessage);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task SearchAsync_GmailQuery_ReturnsMatchingSummariesNewestFirst()
    {
        var mailbox = Google.Account(Alice);
        var now = DateTimeOffset.UtcNow;
        mailbox.AddMessage(new FakeGmailMessage { From = "Bob <bob@acme.com>", Subject = "Contract draft", Body = "See attached", Date = now.AddHours(-3) });
        mailbox.AddMessage(new FakeGmailMessage { From = "Bob <bob@acme.com>", Subject = "Contract signed", Body = "Done", Date = now.AddHours(-1) });
        mailbox.AddMessage(new FakeGmailMessage { From = "Bob <bob@acme.com>", Subject = "Lunch", Body = "contract?", Date = now, Labels = ["INBOX"] });
        mailbox.AddMessage(new FakeGmailMessage { From = "carol@acme.com", Subject = "Contract", Body = "other sender", Date = now });

        var result = await Gmail.SearchAsync(ReadToken, "from:bob@acme.com is:unread contract", cancellationToken: Timeouts.Test);

        Assert.Equal(["Contract signed", "Contract draft"], result.Messages.Select(m => m.Subject));
        Assert.All(result.Messages, m => Assert.True(m.IsUnread));
        Assert.Equal("Bob <bob@acme.com>", result.Messages[0].From);
        Assert.Equal(Alice, result.Messages[0].To);
        Assert.Equal("Done", result.Messages[0].Snippet);
        Assert.Equal(2, result.ResultSizeEstimate);
        Assert.Null(result.NextPageToken);
        Assert.Equal("from:bob@acme.com is:unread contract", Google.RequestsTo(GoogleEndpoints.GmailList).Single().QueryParameters()["q"]);
        Assert.All(Google.RequestsTo(GoogleEndpoints.GmailGet), r => Assert.Equal("metadata", r.QueryParameters()["format"]));
    }

    [Fact]
    public async Task SearchAsync_MoreHitsThanAsked_GivesAPageTokenForTheRest()
    {
        for (var i = 0; i < 5; i++)
        {
            Google.Account(Alice).AddMessage(new FakeGmailMessage { From = "bob@acme.com", Subject = $"Note {i}", Date = DateTimeOffset.UtcNow.AddMinutes(-i) });
        }

        var first = await Gmail.SearchAsync(ReadToken, "note", maxResults: 3, cancellationToken: Timeouts.Test);
        var second = await Gmail.SearchAsync(ReadToken, "note", maxResults: 3, pageToken: first.NextPageToken, cancellationToken: Timeouts.Test);

        Assert.Equal(["Note 0", "Note 1", "Note 2"], first.Messages.Select(m => m.Subject));
        Assert.NotNull(first.NextPageToken);
        Assert.Equal(["Note 3", "Note 4"], second.Messages.Select(m => m.Subject));
        Assert.Null(second.NextPageToken);
    }

    [Fact]
    public async Task SearchAsync_NoHits_IsEmpty()
    {
        var result = await Gmail.SearchAsync(ReadToken, "from:nobody@nowhere.com", cancellationToken: Timeouts.Test);
        Assert.Empty(result.Messages);
        Assert.Equal(0, result.ResultSizeEstimate);
    }

    [Fact]
    public async Task GetMessageAsync_MultipartWithAttachment_ReturnsPlainTextAndNamesTheAttachment()
    {
        var id = Google.Account(Alice).AddMessage(new FakeGmailMessage
        {
            From = "bob@acme.com",
            Subject = "Invoice",
            Body = "Hello Alice,\nthe invoice is attached.\n— Bob",
            HtmlBody = "<p>Hello Alice,</p><p>the invoice is attached.</p>",
            Cc = "carol@acme.com",
            Attachments = ["invoice.pdf"],
        });

        var message = await Gmail.GetMessageAsync(ReadToken, id, cancellationToken: Timeouts.Test);

        Assert.Equal("Hello Alice,\nthe invoice is attached.\n— Bob", message.Body);
        Assert.Equal(["invoice.pdf"], message.AttachmentNames);
        Assert.Equal("Invoice", message.Subject);
        Assert.Equal("carol@acme.com", message.Cc);
        Assert.Contains("UNREAD", message.Labels);
        Assert.False(message.BodyTruncated);
        Assert.NotNull(message.Date);
    }

    [Fact]
    public async Task GetMessageAsync_HtmlOnly_IsReducedToText()
    {
        var id = Google.Account(Alice).AddMessage(new FakeGmailMessage
        {
            From = "news@acme.com",
            Subject = "News",
            HtmlBody = "<html><style>p{color:red}</style><body><h1>Title</h1><p>Fish &amp; chips</p><br>Bye</body></html>",
        });

        var message = await Gmail.GetMessageAsync(ReadToken, id, cancellationToken: Timeouts.Test);

        Assert.Equal("Title\nFish & chips\n\nBye", message.Body);
    }

    [Fact]
    public async Task GetMessageAsync_Metadata_HasHeadersButNoBody()
    {
        var id = Google.Account(Alice).AddMessage(new FakeGmailMessage { From = "bob@acme.com", Subject = "It's \"quoted\"", Body = "secret body" });

        var message = await Gmail.GetMessageAsync(ReadToken, id, GmailMessageFormat.Metadata, Timeouts.Test);

        Assert.Equal("It's \"quoted\"", message.Subject);
        Assert.Null(message.Body);
        Assert.Equal("secret body", message.Snippet);
    }

    [Fact]
    public async Task GetMessageAsync_UnknownId_FailsWithGooglesNotFound()
    {
        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Gmail.GetMessageAsync(ReadToken, "0000000000000000", cancellationToken: Timeouts.Test));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Equal("NOT_FOUND", ex.ErrorCode);
        Assert.Equal("Requested entity was not found.", ex.ServiceMessage);
        Assert.Contains("gmail.users.messages.get", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SearchAsync_ExpiredToken_IsUnauthorizedAndTheTokenIsNotInTheError()
    {
        var token = ReadToken;
        Google.ExpireAccessToken(token);

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Gmail.SearchAsync(token, "x", cancellationToken: Timeouts.Test));

        Assert.True(ex.IsUnauthorized);
        Assert.Equal("UNAUTHENTICATED", ex.ErrorCode);
        AssertNotLeaked(token, ex);
    }

    [Fact]
    public async Task SendAsync_ServerError_IsTransient()
    {
        var token = SendToken;
        Google.FailNext(1, 500, "Internal error encountered.");

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Gmail.SendAsync(token, new EmailMessage { To = ["a@acme.com"], Subject = "s", Body = "b" }, Timeouts.Test));

        Assert.True(ex.IsTransient);
        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
        Assert.Equal("Internal error encountered.", ex.ServiceMessage);
        Assert.Null(ex.RetryAfter);
        Assert.Empty(Google.SentEmails);
        AssertNotLeaked(token, ex);
    }

    [Fact]
    public async Task SearchAsync_RateLimitedWithRetryAfterSeconds_IsTransientWithTheWait()
    {
        Google.RateLimitNext(1, TimeSpan.FromSeconds(7));

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Gmail.SearchAsync(ReadToken, "x", cancellationToken: Timeouts.Test));

        Assert.True(ex.IsTransient);
        Assert.Equal(HttpStatusCode.TooManyRequests, ex.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        Assert.Equal("RESOURCE_EXHAUSTED", ex.ErrorCode);
        Assert.Contains("retry after 7 s", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SearchAsync_RateLimitedWithRetryAfterDate_GivesTheRemainingWait()
    {
        Google.RateLimitNextUntil(1, DateTimeOffset.UtcNow.AddSeconds(90));

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Gmail.SearchAsync(ReadToken, "x", cancellationToken: Timeouts.Test));

        Assert.NotNull(ex.RetryAfter);
        Assert.InRange(ex.RetryAfter.Value.TotalSeconds, 80, 91);
    }

    [Fact]
    public async Task SearchAsync_UserRateLimitAs403_IsTransient()
    {
        Google.Inject(new FakeFailure(1, 403, "User-rate limit exceeded.", Code: "userRateLimitExceeded"));

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Gmail.SearchAsync(ReadToken, "x", cancellationToken: Timeouts.Test));

        Assert.True(ex.IsTransient);
        Assert.Equal(HttpStatusCode.Forbidden, ex.StatusCode);
        Assert.Equal("User-rate limit exceeded.", ex.ServiceMessage);
    }

    [Fact]
    public async Task SearchAsync_PlainForbidden_IsNotTransient()
    {
        Google.FailNext(1, 403, "Delegation denied.");

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Gmail.SearchAsync(ReadToken, "x", cancellationToken: Timeouts.Test));

        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task SendAsync_PermanentBadRequest_IsNotTransientAndCarriesGooglesMessage()
    {
        Google.FailAlways(400, "Invalid To header", GoogleEndpoints.GmailSend);

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Gmail.SendAsync(SendToken, new EmailMessage { To = ["a@acme.com"], Subject = "s", Body = "b" }, Timeouts.Test));
        await Assert.ThrowsAsync<IntegrationException>(() => Gmail.SendAsync(SendToken, new EmailMessage { To = ["a@acme.com"], Subject = "s", Body = "b" }, Timeouts.Test));

        Assert.False(ex.IsTransient);
        Assert.Equal("INVALID_ARGUMENT", ex.ErrorCode);
        Assert.Equal("Gmail gmail.users.messages.send failed with 400 Bad Request (INVALID_ARGUMENT): Invalid To header", ex.Message);
        Assert.Equal(2, Google.CallCount(GoogleEndpoints.GmailSend));
    }

    [Fact]
    public async Task SearchAsync_ServiceTooSlow_TimesOutAsTransient()
    {
        await using var impatient = new ClientHost(Google.ConfigurationValues().Append(new("Google:RequestTimeout", "00:00:00.300")));
        Google.DelayNext(1, TimeSpan.FromSeconds(3));

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => impatient.Get<IGmailClient>().SearchAsync(ReadToken, "x", cancellationToken: Timeouts.Test));

        Assert.True(ex.IsTransient);
        Assert.Null(ex.StatusCode);
        Assert.Contains("timed out after 0.3 s", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SearchAsync_CallerCancels_IsACancellationNotAFailure()
    {
        Google.DelayNext(1, TimeSpan.FromSeconds(3));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Gmail.SearchAsync(ReadToken, "x", cancellationToken: cancel.Token));
    }

    [Fact]
    public async Task SearchAsync_ServiceDown_IsTransient()
    {
        var token = ReadToken;
        await Google.DisposeAsync();

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Gmail.SearchAsync(token, "x", cancellationToken: Timeouts.Test));

        Assert.True(ex.IsTransient);
        Assert.Null(ex.StatusCode);
    }

    [Fact]
    public async Task Client_WithoutCredentials_IsNotConfigured()
    {
        await using var host = new ClientHost([new("GOOGLE_CLIENT_ID", "only-the-id")]);
        var gmail = host.Get<IGmailClient>();

        Assert.False(gmail.IsConfigured);
        var ex = await Assert.ThrowsAsync<ToolNotConfiguredException>(() => gmail.SearchAsync("token", "x", cancellationToken: Timeouts.Test));
        Assert.Equal("Gmail", ex.Service);
        Assert.Contains("GOOGLE_CLIENT_SECRET", ex.Message, StringComparison.Ordinal);
    }
}
