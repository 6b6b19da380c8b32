using Microsoft.Extensions.Logging;

namespace CompanyHub.Security;

/// <summary>
/// Request URLs carry secrets — dashboard links (<c>/?token=</c>), invite codes (<c>/invite/{code}</c>,
/// <c>?invite=</c>), OAuth codes — so the framework log categories that print a request's path or query are held at
/// Warning whatever levels the deployment configures, provider-specific ones (<c>Logging:Console:LogLevel</c>) included.
/// </summary>
public static class UrlLoggingGuard
{
    /// <summary>The categories that log request paths or queries: request start/finish, route matching, malformed request lines.</summary>
    public static IReadOnlyList<string> Categories { get; } =
    [
        "Microsoft.AspNetCore.Hosting.Diagnostics",
        "Microsoft.AspNetCore.Routing.Matching",
        "Microsoft.AspNetCore.Server.Kestrel.BadRequests",
    ];

    /// <summary>Adds, after every configured rule, a Warning rule for each category and each provider that has rules.</summary>
    public static void Apply(LoggerFilterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // The most specific rule wins, and the last of equally specific ones: these come last and name the category.
        var providers = options.Rules.Select(r => r.ProviderName).Append(null).Distinct().ToList();
        foreach (var provider in providers)
        {
            foreach (var category in Categories)
            {
                options.Rules.Add(new LoggerFilterRule(provider, category, LogLevel.Warning, filter: null));
            }
        }
    }
}
