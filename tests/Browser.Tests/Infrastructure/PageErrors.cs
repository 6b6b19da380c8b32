using Microsoft.Playwright;

namespace CompanyHub.Browser.Tests.Infrastructure;

/// <summary>
/// Collects script errors of a page: uncaught exceptions, console errors and CSP violations. Failed HTTP answers the
/// page handles (a 404 for a route this hub lacks, a 401 for a bad link) are not script errors and are not counted.
/// </summary>
public sealed class PageErrors
{
    private readonly List<string> _errors = [];

    public static PageErrors Watch(IPage page)
    {
        var watch = new PageErrors();
        page.PageError += (_, error) => watch.Add($"uncaught: {error}");
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                watch.Add($"console: {message.Text}");
            }
        };
        return watch;
    }

    public void AssertNone()
    {
        lock (_errors)
        {
            Assert.True(_errors.Count == 0, "The page had script errors:" + Environment.NewLine + string.Join(Environment.NewLine, _errors));
        }
    }

    private void Add(string error)
    {
        lock (_errors)
        {
            _errors.Add(error);
        }
    }
}
