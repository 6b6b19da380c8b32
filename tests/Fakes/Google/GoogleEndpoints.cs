namespace CompanyHub.Fakes.Google;

/// <summary>The endpoint names <see cref="FakeGoogle"/> records requests under (Google's own method ids where they exist).</summary>
public static class GoogleEndpoints
{
    public const string Authorize = "oauth.authorize";
    public const string Token = "oauth.token";
    public const string UserInfo = "oauth.userinfo";
    public const string GmailList = "gmail.users.messages.list";
    public const string GmailGet = "gmail.users.messages.get";
    public const string GmailSend = "gmail.users.messages.send";
    public const string GmailLabels = "gmail.users.labels.list";
    public const string GmailDraftsList = "gmail.users.drafts.list";
    public const string GmailDraftsGet = "gmail.users.drafts.get";
    public const string GmailDraftsCreate = "gmail.users.drafts.create";
    public const string GmailDraftsSend = "gmail.users.drafts.send";
    public const string DriveFilesCreate = "drive.files.create";
    public const string DocsBatchUpdate = "docs.documents.batchUpdate";
    public const string CalendarList = "calendar.events.list";
    public const string CalendarInsert = "calendar.events.insert";
    public const string DriveFilesList = "drive.files.list";
    public const string DocsGet = "docs.documents.get";
    public const string SheetsValuesGet = "sheets.spreadsheets.values.get";
    public const string PeopleSearchContacts = "people.people.searchContacts";
    public const string CalendarGet = "calendar.events.get";
    public const string CalendarPatch = "calendar.events.patch";
    public const string CalendarDelete = "calendar.events.delete";
    public const string FreeBusy = "calendar.freebusy.query";
}
