namespace CompanyHub.Security;

/// <summary>The app's settings (environment / local.settings.json Values). See local.settings.sample.json.</summary>
public sealed class HubOptions
{
    /// <summary>Gets or sets the public URL people open (PUBLIC_BASE_URL). Default is <c>http://127.0.0.1:18789</c>.</summary>
    public string PublicBaseUrl { get; set; } = "http://127.0.0.1:18789";

    /// <summary>Gets or sets the email domains that may be onboarded (ALLOWED_EMAIL_DOMAINS, comma-separated). Empty: any.</summary>
    public IReadOnlyList<string> AllowedEmailDomains { get; set; } = [];

    /// <summary>Gets or sets how long an invite is valid (Onboarding:InviteExpiryHours). Default is 7 days.</summary>
    public TimeSpan InviteExpiry { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Gets or sets whether a self-service request first needs the admin's approval (Onboarding:SelfServiceRequiresApproval).
    /// When true the request becomes a <c>start_onboarding</c> proposal of the orchestrator, and the invite is emailed once
    /// the admin approves. Default is false.
    /// </summary>
    public bool SelfServiceRequiresApproval { get; set; }

    /// <summary>Gets or sets the data directory (DATA_DIR). Default is <c>.data</c>.</summary>
    public string DataDirectory { get; set; } = ".data";

    /// <summary>Gets or sets the company name shown on invite pages (COMPANY_NAME). Default is "Company Hub".</summary>
    public string CompanyName { get; set; } = "Company Hub";

    /// <summary>
    /// Gets or sets each person's allowance per kind of request (<c>RateLimits:&lt;kind&gt;:PermitLimit</c> and
    /// <c>RateLimits:&lt;kind&gt;:WindowSeconds</c>, see <see cref="Security.PersonLimits"/>). Default is
    /// <see cref="DefaultPersonLimits"/>.
    /// </summary>
    public IReadOnlyDictionary<PersonLimit, RateLimit> PersonLimits { get; set; } = DefaultPersonLimits;

    /// <summary>
    /// Gets the default allowances: 30 chat messages a minute (a person types a few; each one is an agent turn with LLM
    /// calls), 30 proposals a minute (composed by hand on the dashboard, rarely more than one at a time), 60 decisions a
    /// minute (working through a backlog of cards one click after another never reaches it).
    /// </summary>
    public static IReadOnlyDictionary<PersonLimit, RateLimit> DefaultPersonLimits { get; } = new Dictionary<PersonLimit, RateLimit>
    {
        [PersonLimit.Chat] = new(30, TimeSpan.FromMinutes(1)),
        [PersonLimit.Proposals] = new(30, TimeSpan.FromMinutes(1)),
        [PersonLimit.Decisions] = new(60, TimeSpan.FromMinutes(1)),
    };

    public bool IsHttps => PublicBaseUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    public string Link(string pathAndQuery) => PublicBaseUrl.TrimEnd('/') + pathAndQuery;

    public bool IsAllowedDomain(string email)
    {
        if (AllowedEmailDomains.Count == 0)
        {
            return true;
        }

        var at = email.LastIndexOf('@');
        var domain = at < 0 ? "" : email[(at + 1)..];
        return AllowedEmailDomains.Any(d => string.Equals(d.Trim().TrimStart('@'), domain, StringComparison.OrdinalIgnoreCase));
    }
}
