using System.Net;
using CompanyHub.Fakes.Google;
using CompanyHub.Integrations.Google;
using CompanyHub.Integrations.Google.Files;

namespace CompanyHub.Integrations.Tests.Google;

/// <summary>Drive, Docs, Sheets and People requests as Google expects them, and their answers read back.</summary>
public sealed class GoogleFilesClientTests : GoogleTestBase
{
    private IGoogleFilesClient Files => Host.Get<IGoogleFilesClient>();

    [Fact]
    public async Task SearchFilesAsync_SendsADriveQueryWithTheWordsQuoted_AndReadsTheFiles()
    {
        var plan = Google.AddDocument(Alice, "Q3 plan", "Hire two engineers.");
        Google.AddDocument(Alice, "Lunch menu", "Soup");

        var found = await Files.SearchFilesAsync(Google.IssueAccessToken(Alice, GoogleScopes.DriveReadonly), "Alice's plan", 5, Timeouts.Test);
        Assert.Empty(found); // no file has "Alice's plan": the quote went to Drive escaped, not as the end of the literal

        found = await Files.SearchFilesAsync(Google.IssueAccessToken(Alice, GoogleScopes.DriveReadonly), "engineers", 5, Timeouts.Test);

        var file = Assert.Single(found);
        Assert.Equal((plan, "Q3 plan", "application/vnd.google-apps.document"), (file.Id, file.Name, file.MimeType));
        Assert.Equal($"https://docs.google.com/document/d/{plan}/edit", file.WebViewLink);
        Assert.NotNull(file.ModifiedTime);
        var query = Google.RequestsTo(GoogleEndpoints.DriveFilesList)[0].QueryParameters();
        Assert.Equal(@"(name contains 'Alice\'s plan' or fullText contains 'Alice\'s plan') and trashed = false", query["q"]);
        Assert.Equal("5", query["pageSize"]);
        Assert.Equal("files(id,name,mimeType,modifiedTime,webViewLink)", query["fields"]);
    }

    [Fact]
    public async Task ReadDocumentAsync_JoinsTheParagraphsTextRuns()
    {
        var id = Google.AddDocument(Alice, "Notes", "First line.", "Second line.");

        var doc = await Files.ReadDocumentAsync(Google.IssueAccessToken(Alice, GoogleScopes.DocumentsReadonly), id, Timeouts.Test);

        Assert.Equal((id, "Notes", "First line.\nSecond line.\n"), (doc.DocumentId, doc.Title, doc.Text));
        Assert.Equal($"/docs/v1/documents/{id}", Assert.Single(Google.RequestsTo(GoogleEndpoints.DocsGet)).Path);
    }

    [Fact]
    public async Task ReadRangeAsync_AnswersTheRowsOfTheRange()
    {
        var id = Google.AddSpreadsheet(Alice, "Budget", "Sheet1", ["Item", "Cost"], ["Laptops", "4000"], ["Travel", "1200"]);

        var range = await Files.ReadRangeAsync(Google.IssueAccessToken(Alice, GoogleScopes.SpreadsheetsReadonly), id, "Sheet1!A2:B3", Timeouts.Test);

        Assert.Equal("Sheet1!A2:B3", range.Range);
        Assert.Equal([["Laptops", "4000"], ["Travel", "1200"]], range.Values.Select(r => r.ToArray()).ToArray());
        var request = Assert.Single(Google.RequestsTo(GoogleEndpoints.SheetsValuesGet));
        Assert.Equal($"/sheets/v4/spreadsheets/{id}/values/Sheet1!A2:B3", Uri.UnescapeDataString(request.Path));
    }

    [Fact]
    public async Task SearchContactsAsync_AsksForTheFieldsItReads()
    {
        Google.AddContact(Alice, "Sarah Connor", "sarah@acme.com", "+1 555 0100", "Acme");
        Google.AddContact(Alice, "Bob Stone", "bob@acme.com");

        var contacts = await Files.SearchContactsAsync(Google.IssueAccessToken(Alice, GoogleScopes.ContactsReadonly), "sar", 5, Timeouts.Test);

        var sarah = Assert.Single(contacts);
        Assert.Equal(("Sarah Connor", "Acme"), (sarah.Name, sarah.Organization));
        Assert.Equal(["sarah@acme.com"], sarah.Emails);
        Assert.Equal(["+1 555 0100"], sarah.Phones);
        Assert.StartsWith("people/c", sarah.ResourceName, StringComparison.Ordinal);
        var query = Assert.Single(Google.RequestsTo(GoogleEndpoints.PeopleSearchContacts)).QueryParameters();
        Assert.Equal(("sar", "5", "names,emailAddresses,phoneNumbers,organizations"), (query["query"], query["pageSize"], query["readMask"]));
    }

    [Fact]
    public async Task ATokenWithoutTheScope_IsGooglesInsufficientScopes()
    {
        var id = Google.AddDocument(Alice, "Notes", "Text");

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Files.ReadDocumentAsync(Google.IssueAccessToken(Alice, GoogleScopes.GmailReadonly), id, Timeouts.Test));

        Assert.Equal(HttpStatusCode.Forbidden, ex.StatusCode);
        Assert.Equal("Request had insufficient authentication scopes.", ex.ServiceMessage);
    }
}
