using Microsoft.Playwright;

namespace CompanyHub.Browser.Tests.Infrastructure;

/// <summary>Screenshots of every page the tests visit, in tests/artifacts/ (git-ignored).</summary>
public static class Artifacts
{
    public static string Folder => Path.Combine(HubProcess.RepositoryRoot, "tests", "artifacts");

    /// <summary>
    /// Saves a full-page screenshot as tests/artifacts/&lt;name&gt;.png. With UPDATE_DOC_IMAGES=1 it also refreshes
    /// docs/images/&lt;docImage&gt;.png, the README's pictures of the dashboards.
    /// </summary>
    public static async Task ScreenshotAsync(IPage page, string name, string? docImage = null)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Animations = ScreenshotAnimations.Disabled });
        if (docImage is not null && Environment.GetEnvironmentVariable("UPDATE_DOC_IMAGES") == "1")
        {
            var images = Path.Combine(HubProcess.RepositoryRoot, "docs", "images");
            Directory.CreateDirectory(images);
            File.Copy(path, Path.Combine(images, docImage + ".png"), overwrite: true);
        }
    }
}
