using System.Text.RegularExpressions;

namespace CompanyHub.Functions;

/// <summary>
/// <c>dotnet CompanyHub.dll healthcheck</c>: asks the running hub's <c>/healthz</c> and exits 0 when it answers 200, 1
/// otherwise. The container's HEALTHCHECK uses it because the ASP.NET Core runtime image has neither curl nor wget.
/// </summary>
public static partial class HealthCheckCommand
{
    /// <summary>The command-line word that runs the check instead of the hub.</summary>
    public const string Name = "healthcheck";

    private const string DefaultUrls = "http://127.0.0.1:18789";

    /// <summary>Checks the hub listening on the first of <paramref name="urls"/> (ASPNETCORE_URLS); prints one line.</summary>
    public static async Task<int> RunAsync(string? urls, TextWriter output, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        var probe = ProbeUrl(urls);
        using var http = new HttpClient { Timeout = timeout ?? TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(probe);
            await output.WriteLineAsync($"{probe}: {(int)response.StatusCode}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await output.WriteLineAsync($"{probe}: {ex.Message}");
            return 1;
        }
    }

    /// <summary>
    /// The <c>/healthz</c> URL of the first listening address, with a wildcard host (<c>0.0.0.0</c>, <c>[::]</c>,
    /// <c>+</c>, <c>*</c>) asked on the loopback address.
    /// </summary>
    public static Uri ProbeUrl(string? urls)
    {
        return new Uri(LocalBaseUrl(urls) + "/healthz");
    }

    /// <summary>
    /// The hub's base address as a local program reaches it: the first of <paramref name="urls"/> (ASPNETCORE_URLS,
    /// default <c>http://127.0.0.1:18789</c>), a wildcard host asked on the loopback address; no trailing slash.
    /// </summary>
    public static string LocalBaseUrl(string? urls)
    {
        var first = (string.IsNullOrWhiteSpace(urls) ? DefaultUrls : urls).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
        return WildcardHost().Replace(first, "${scheme}://127.0.0.1").TrimEnd('/');
    }

    [GeneratedRegex(@"^(?<scheme>https?)://(0\.0\.0\.0|\[::\]|\+|\*)(?=[:/]|$)", RegexOptions.CultureInvariant)]
    private static partial Regex WildcardHost();
}
