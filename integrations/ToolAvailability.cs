using CompanyHub.Integrations.Attio;
using CompanyHub.Integrations.Google;
using CompanyHub.Integrations.Notion;
using CompanyHub.Orchestrations.Approvals;
using Microsoft.Extensions.Options;

namespace CompanyHub.Integrations;

/// <summary>Which company tools this hub has credentials for, by proposal type.</summary>
public sealed class ToolAvailability(IOptions<GoogleOptions> google, IOptions<NotionOptions> notion, IOptions<AttioOptions> attio)
{
    /// <summary>Why the tool behind <paramref name="type"/> cannot run on this hub, or null when it can.</summary>
    public string? WhyNot(string type) => type switch
    {
        ProposalTypes.SendEmail or ProposalTypes.CreateGmailDraft or ProposalTypes.SendGmailDraft when !google.Value.IsConfigured => "Gmail is not configured: set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET.",
        ProposalTypes.CreateGoogleDoc when !google.Value.IsConfigured || !google.Value.DriveEnabled => "Google Docs is not enabled: the admin sets GOOGLE_DRIVE=true (with GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET).",
        _ when IsCalendar(type) && !google.Value.IsConfigured => "Google Calendar is not configured: set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET.",
        _ when IsCalendar(type) && !google.Value.CalendarEnabled => "Google Calendar is not enabled: set GOOGLE_CALENDAR=true.",
        ProposalTypes.CreateNotionPage or ProposalTypes.UpdateNotionPage or ProposalTypes.ArchiveNotionPage or ProposalTypes.AppendNotionBlocks
            when !notion.Value.IsConfigured => "Notion is not configured: set NOTION_API_KEY.",
        ProposalTypes.UpdateAttioRecord or ProposalTypes.CreateAttioNote or ProposalTypes.CreateAttioTask or ProposalTypes.CreateAttioRecord or ProposalTypes.CompleteAttioTask
            when !attio.Value.IsConfigured => "Attio is not configured: set ATTIO_API_KEY.",
        _ => null,
    };

    /// <summary>Why the read tool <paramref name="tool"/> of the person's Drive, Docs, Sheets or Contacts is off on this hub, or null when it is on.</summary>
    public string? WhyNotRead(string tool) => tool switch
    {
        "drive_search" or "docs_read" or "sheets_read" when !google.Value.IsConfigured || !google.Value.DriveEnabled => "Google Drive, Docs and Sheets are not enabled: the admin sets GOOGLE_DRIVE=true (with GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET).",
        "contacts_search" when !google.Value.IsConfigured || !google.Value.ContactsEnabled => "Google Contacts is not enabled: the admin sets GOOGLE_CONTACTS=true (with GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET).",
        _ => null,
    };

    /// <summary>Whether the tool acts with the person's own Google account (so the agent needs a connected one).</summary>
    public static bool NeedsGoogleAccount(string type) =>
        type is ProposalTypes.SendEmail or ProposalTypes.CreateGmailDraft or ProposalTypes.SendGmailDraft or ProposalTypes.CreateGoogleDoc || IsCalendar(type);

    private static bool IsCalendar(string type) =>
        type is ProposalTypes.CreateCalendarEvent or ProposalTypes.UpdateCalendarEvent or ProposalTypes.CancelCalendarEvent or ProposalTypes.RespondCalendarEvent;
}
