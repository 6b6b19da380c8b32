namespace CompanyHub.Integrations.Google;

/// <summary>The OAuth scopes the hub asks for.</summary>
public static class GoogleScopes
{
    public const string GmailReadonly = "https://www.googleapis.com/auth/gmail.readonly";
    public const string GmailSend = "https://www.googleapis.com/auth/gmail.send";
    public const string UserInfoEmail = "https://www.googleapis.com/auth/userinfo.email";
    public const string CalendarEvents = "https://www.googleapis.com/auth/calendar.events";
    public const string CalendarFreeBusy = "https://www.googleapis.com/auth/calendar.freebusy";
    public const string OpenId = "openid";

    /// <summary>The scopes of the onboarding consent: read and send mail, prove the email; calendar events and colleagues' free/busy when enabled.</summary>
    public static IReadOnlyList<string> ForHub(bool calendarEnabled) =>
        calendarEnabled
            ? [OpenId, UserInfoEmail, GmailReadonly, GmailSend, CalendarEvents, CalendarFreeBusy]
            : [OpenId, UserInfoEmail, GmailReadonly, GmailSend];
}
