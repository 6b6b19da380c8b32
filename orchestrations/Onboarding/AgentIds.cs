using System.Text;

namespace CompanyHub.Orchestrations.Onboarding;

/// <summary>Agent ids from emails: <c>alice@company.com</c> → <c>alice-company-com</c>.</summary>
public static class AgentIds
{
    public static string FromEmail(string email)
    {
        var id = new StringBuilder(email.Length);
        foreach (var c in email.Trim().ToLowerInvariant())
        {
            id.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        }

        var collapsed = id.ToString();
        while (collapsed.Contains("--", StringComparison.Ordinal))
        {
            collapsed = collapsed.Replace("--", "-", StringComparison.Ordinal);
        }

        return collapsed.Trim('-');
    }

    /// <summary>The first of <c>id</c>, <c>id-2</c>, <c>id-3</c>… that <paramref name="isTaken"/> does not refuse.</summary>
    public static string Unique(string baseId, Func<string, bool> isTaken)
    {
        if (!isTaken(baseId))
        {
            return baseId;
        }

        for (var n = 2; ; n++)
        {
            var candidate = $"{baseId}-{n}";
            if (!isTaken(candidate))
            {
                return candidate;
            }
        }
    }
}
