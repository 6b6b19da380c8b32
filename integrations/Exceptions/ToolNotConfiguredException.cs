namespace CompanyHub.Integrations;

/// <summary>
/// A tool was used whose credentials are not configured, for example
/// <c>Notion is not configured: set NOTION_API_KEY</c>. The hub still runs; only this tool is off.
/// </summary>
public sealed class ToolNotConfiguredException : IntegrationException
{
    public ToolNotConfiguredException(string service, string message)
        : base(service, message)
    {
    }
}
