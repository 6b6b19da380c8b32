namespace CompanyHub.Browser.Tests.Infrastructure;

/// <summary>Debian's Chromium, launched by Playwright without any browser download.</summary>
public static class Chromium
{
    public const string DefaultPath = "/usr/bin/chromium";

    /// <summary>Gets the arguments for headless Chromium in a container (see PACKAGES.md).</summary>
    public static IReadOnlyList<string> Arguments { get; } =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    /// <summary>Gets the Chromium to run (CHROMIUM_PATH, else /usr/bin/chromium); a missing one fails the tests, never skips them.</summary>
    public static string ExecutablePath()
    {
        var path = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } configured ? configured : DefaultPath;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"Chromium was not found at {path}. The browser tests need Debian's chromium package and do not download a browser. " +
                "Run scripts/test (it installs it), or as root: DEBIAN_FRONTEND=noninteractive apt-get install -y chromium. " +
                "Set CHROMIUM_PATH to use a Chromium elsewhere.");
        }

        return path;
    }
}
