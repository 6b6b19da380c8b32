namespace CompanyHub.Integrations.Google;

/// <summary>
/// Google OAuth, Gmail and Calendar settings. Bound from the <c>Google</c> configuration section; the flat names of the
/// deployment (<c>GOOGLE_CLIENT_ID</c>, <c>GOOGLE_CLIENT_SECRET</c>, <c>GOOGLE_CALENDAR</c>) win when set.
/// The endpoints are settings so that tests can point them at a fake.
/// </summary>
public sealed class GoogleOptions
{
    /// <summary>The configuration section bound onto these options.</summary>
    public const string SectionName = "Google";

    /// <summary>Gets or sets the OAuth client id (<c>GOOGLE_CLIENT_ID</c>). Default is none: Google tools are off.</summary>
    public string? ClientId { get; set; }

    /// <summary>Gets or sets the OAuth client secret (<c>GOOGLE_CLIENT_SECRET</c>). Default is none: Google tools are off.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Gets or sets the authorization endpoint. Default is <c>https://accounts.google.com/o/oauth2/v2/auth</c>.</summary>
    public string AuthorizationEndpoint { get; set; } = "https://accounts.google.com/o/oauth2/v2/auth";

    /// <summary>Gets or sets the token endpoint. Default is <c>https://oauth2.googleapis.com/token</c>.</summary>
    public string TokenEndpoint { get; set; } = "https://oauth2.googleapis.com/token";

    /// <summary>Gets or sets the OpenID Connect userinfo endpoint. Default is <c>https://openidconnect.googleapis.com/v1/userinfo</c>.</summary>
    public string UserInfoEndpoint { get; set; } = "https://openidconnect.googleapis.com/v1/userinfo";

    /// <summary>Gets or sets the Gmail API root (the client appends <c>/gmail/v1/...</c>). Default is <c>https://gmail.googleapis.com</c>.</summary>
    public string GmailBaseUrl { get; set; } = "https://gmail.googleapis.com";

    /// <summary>Gets or sets the Calendar API root (the client appends <c>/calendars/...</c>). Default is <c>https://www.googleapis.com/calendar/v3</c>.</summary>
    public string CalendarBaseUrl { get; set; } = "https://www.googleapis.com/calendar/v3";

    /// <summary>Gets or sets a value indicating whether the Calendar tools and scope are on (<c>GOOGLE_CALENDAR</c>). Default is <c>true</c>: on whenever Google is configured.</summary>
    public bool CalendarEnabled { get; set; } = true;

    /// <summary>Gets or sets the Drive API root. Default is <c>https://www.googleapis.com/drive/v3</c>.</summary>
    public string DriveBaseUrl { get; set; } = "https://www.googleapis.com/drive/v3";

    /// <summary>Gets or sets the Docs API root. Default is <c>https://docs.googleapis.com/v1</c>.</summary>
    public string DocsBaseUrl { get; set; } = "https://docs.googleapis.com/v1";

    /// <summary>Gets or sets the Sheets API root. Default is <c>https://sheets.googleapis.com/v4</c>.</summary>
    public string SheetsBaseUrl { get; set; } = "https://sheets.googleapis.com/v4";

    /// <summary>Gets or sets the People API root. Default is <c>https://people.googleapis.com/v1</c>.</summary>
    public string PeopleBaseUrl { get; set; } = "https://people.googleapis.com/v1";

    /// <summary>
    /// Gets or sets a value indicating whether the Drive, Docs and Sheets tools and their scopes are on (<c>GOOGLE_DRIVE</c>).
    /// Default is <c>false</c>.
    /// </summary>
    public bool DriveEnabled { get; set; }

    /// <summary>Gets or sets a value indicating whether the contacts tool and its scope are on (<c>GOOGLE_CONTACTS</c>). Default is <c>false</c>.</summary>
    public bool ContactsEnabled { get; set; }

    /// <summary>Gets or sets how long one HTTP call may take before it fails as transient. Default is 30 seconds.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets a value indicating whether the OAuth client credentials are set.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(ClientId) && !string.IsNullOrWhiteSpace(ClientSecret);
}
