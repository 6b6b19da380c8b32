namespace CompanyHub.Integrations.Google;

/// <summary>The OAuth scopes the hub asks for.</summary>
public static class GoogleScopes
{
    public const string GmailReadonly = "https://www.googleapis.com/auth/gmail.readonly";
    public const string GmailSend = "https://www.googleapis.com/auth/gmail.send";

    /// <summary>Gmail drafts: create, read and send them (asked at sign-in since the drafts tools; earlier sign-ins lack it).</summary>
    public const string GmailCompose = "https://www.googleapis.com/auth/gmail.compose";
    public const string UserInfoEmail = "https://www.googleapis.com/auth/userinfo.email";
    public const string CalendarEvents = "https://www.googleapis.com/auth/calendar.events";
    public const string CalendarFreeBusy = "https://www.googleapis.com/auth/calendar.freebusy";
    public const string OpenId = "openid";

    // Drive, Docs, Sheets (GOOGLE_DRIVE) and Contacts (GOOGLE_CONTACTS): asked only when the admin turns them on.
    public const string DriveReadonly = "https://www.googleapis.com/auth/drive.readonly";
    public const string DriveFile = "https://www.googleapis.com/auth/drive.file";
    public const string DocumentsReadonly = "https://www.googleapis.com/auth/documents.readonly";
    public const string SpreadsheetsReadonly = "https://www.googleapis.com/auth/spreadsheets.readonly";
    public const string ContactsReadonly = "https://www.googleapis.com/auth/contacts.readonly";

    /// <summary>The scopes of the onboarding consent: read and send mail, write drafts, prove the email; calendar events and colleagues' free/busy when enabled.</summary>
    public static IReadOnlyList<string> ForHub(bool calendarEnabled) =>
        calendarEnabled
            ? [OpenId, UserInfoEmail, GmailReadonly, GmailSend, GmailCompose, CalendarEvents, CalendarFreeBusy]
            : [OpenId, UserInfoEmail, GmailReadonly, GmailSend, GmailCompose];

    /// <summary>The scopes of a sign-in or reconnect on this hub: <see cref="ForHub(bool)"/> and those of the tools the admin turned on.</summary>
    public static IReadOnlyList<string> ForHub(GoogleOptions options) =>
    [
        .. ForHub(options.CalendarEnabled),
        .. options.DriveEnabled ? [DriveReadonly, DocumentsReadonly, SpreadsheetsReadonly, DriveFile] : Array.Empty<string>(),
        .. options.ContactsEnabled ? [ContactsReadonly] : Array.Empty<string>(),
    ];

    /// <summary>
    /// The scopes this hub asks for that the person has not granted (<paramref name="granted"/> from their last sign-in
    /// or reconnect): their tools need a reconnect. Granted scopes not recorded (a sign-in before they were) count as
    /// the onboarding's mail and calendar scopes of that time (without <see cref="GmailCompose"/>), so only the later tools' scopes are missing.
    /// </summary>
    public static IReadOnlyList<string> Missing(IReadOnlyList<string>? granted, GoogleOptions options) =>
        ForHub(options).Where(scope => scope is not (OpenId or UserInfoEmail)
            && !(granted?.Contains(scope, StringComparer.Ordinal) ?? (scope != GmailCompose && ForHub(options.CalendarEnabled).Contains(scope, StringComparer.Ordinal)))).ToList();
}
