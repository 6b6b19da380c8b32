using CompanyHub.Fakes.Google;
using CompanyHub.Integrations.Google;
using CompanyHub.Integrations.Google.Files;
using CompanyHub.Integrations.Google.Gmail;
using CompanyHub.Integrations.Mail;

namespace CompanyHub.Integrations.Tests.Google;

/// <summary>Gmail drafts and a new Google Doc as Google's APIs take and answer them (against the fake's real shapes).</summary>
public sealed class GmailDraftsClientTests : GoogleTestBase
{
    private IGmailClient Gmail => Host.Get<IGmailClient>();

    private IGoogleFilesClient Files => Host.Get<IGoogleFilesClient>();

    private string ComposeToken => Google.IssueAccessToken(Alice, GoogleScopes.GmailCompose);

    [Fact]
    public async Task CreateDraft_ThenListAndGet_ThenSend_TheDraftIsGoneAndTheMessageSentUnderANewId()
    {
        var token = ComposeToken;
        var created = await Gmail.CreateDraftAsync(token, new EmailMessage { From = Alice, To = ["sarah@acme.com"], Bcc = ["boss@company.com"], Subject = "Offer — draft", Body = "Price: 5 €" }, Timeouts.Test);

        var listed = Assert.Single(await Gmail.ListDraftsAsync(token, "subject:Offer", 10, Timeouts.Test));
        var read = await Gmail.GetDraftAsync(token, created.Id, GmailMessageFormat.Full, Timeouts.Test);
        var sent = await Gmail.SendDraftAsync(token, created.Id, Timeouts.Test);

        Assert.Equal(created.Id, listed.Id);
        Assert.Equal(created.Message.Id, listed.Message.Id);
        Assert.Equal("Offer — draft", listed.Message.Subject);
        Assert.Equal("sarah@acme.com", read.Message.To);
        Assert.Equal("boss@company.com", read.Message.Bcc);
        Assert.Equal("Price: 5 €", read.Message.Body);
        Assert.Equal(["raw"], Google.RequestsTo(GoogleEndpoints.GmailDraftsCreate).Single().Json()!["message"]!.AsObject().Select(p => p.Key));
        Assert.Equal("subject:Offer", Google.RequestsTo(GoogleEndpoints.GmailDraftsList).Single().QueryParameters()["q"]);
        Assert.NotEqual(created.Message.Id, sent.Id);
        Assert.Empty(Google.Account(Alice).Drafts);
        Assert.Equal(["sarah@acme.com"], Assert.Single(Google.SentEmails).To);
    }

    [Fact]
    public async Task Drafts_WithOnlyTheSendScope_AreRefusedByGoogle()
    {
        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Gmail.CreateDraftAsync(Google.IssueAccessToken(Alice, GoogleScopes.GmailSend), new EmailMessage { To = ["sarah@acme.com"], Subject = "Hi", Body = "Hello" }, Timeouts.Test));

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, ex.StatusCode);
        Assert.Empty(Google.Account(Alice).Drafts);
    }

    [Fact]
    public async Task CreateDocument_TaggedInTheFolder_FoundByItsTag_TextInsertedAtTheStart()
    {
        var token = Google.IssueAccessToken(Alice, GoogleScopes.DriveFile);
        var folder = Google.AddFolder(Alice, "Plans");

        var created = await Files.CreateDocumentAsync(token, "Q3 plan", folder, new Dictionary<string, string> { ["companyHubProposal"] = "abc123" }, Timeouts.Test);
        var found = await Files.FindByAppPropertyAsync(token, "companyHubProposal", "abc123", Timeouts.Test);
        var other = await Files.FindByAppPropertyAsync(token, "companyHubProposal", "it's not there", Timeouts.Test);
        await Files.InsertTextAsync(token, created.Id, "Hire two engineers.\nShip it.", Timeouts.Test);

        Assert.Equal(created.Id, found?.Id);
        Assert.Null(other);
        var create = Google.RequestsTo(GoogleEndpoints.DriveFilesCreate).Single().Json()!;
        Assert.Equal("application/vnd.google-apps.document", create["mimeType"]!.GetValue<string>());
        Assert.Equal(folder, create["parents"]![0]!.GetValue<string>());
        Assert.Equal("Hire two engineers.\nShip it.", Google.GetFile(created.Id)!.Text);
        Assert.Equal("Hire two engineers.\nShip it.\n", (await Files.ReadDocumentAsync(token, created.Id, Timeouts.Test)).Text);
        Assert.Equal("appProperties has { key='companyHubProposal' and value='it\\'s not there' } and trashed = false", Google.RequestsTo(GoogleEndpoints.DriveFilesList).Last().QueryParameters()["q"]);
    }
}
