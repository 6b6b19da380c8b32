using CompanyHub.Browser.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CompanyHub.Browser.Tests;

/// <summary>
/// The Health page's backup panel on hubs with backups configured: against the S3 server scripts/test starts
/// (HUB_TEST_S3_ENDPOINT), and against an address where nothing listens.
/// </summary>
[Collection(HubCollection.Name)]
public sealed class BackupDashboardTests(HubFixture fixture)
{
    static BackupDashboardTests() => SetDefaultExpectTimeout(15_000);

    [Fact]
    public async Task Admin_BackUpNow_ShowsTheSnapshotAndItsAge()
    {
        var endpoint = Environment.GetEnvironmentVariable("HUB_TEST_S3_ENDPOINT") is { Length: > 0 } e
            ? e
            : throw new InvalidOperationException("HUB_TEST_S3_ENDPOINT is not set: this test needs the S3 server that scripts/test starts (or `scripts/services start s3rver && eval \"$(scripts/services env s3rver)\"`).");
        await using var hub = await HubProcess.StartAsync(Settings(endpoint));
        var (context, page) = await OpenHealthAsync(hub);
        await using (context)
        {
            var errors = PageErrors.Watch(page);
            await Expect(page.Locator("#backup-last")).ToContainTextAsync("none yet");
            await page.Locator("#backup-now").ClickAsync();

            await Expect(page.Locator("#backup-status")).ToContainTextAsync("uploaded and read back as sent");
            await Expect(page.Locator("#backup-last")).ToContainTextAsync("just now");
            await Expect(page.Locator("#backup-last")).ToContainTextAsync("on-demand");
            await Expect(page.Locator("#snapshots tbody tr")).ToHaveCountAsync(1);
            await Expect(page.Locator("#backup-error")).ToHaveCountAsync(0);
            await Artifacts.ScreenshotAsync(page, "admin-backups");
            errors.AssertNone();
        }
    }

    [Fact]
    public async Task Admin_BucketUnreachable_ShowsTheFailure()
    {
        await using var hub = await HubProcess.StartAsync(Settings($"http://127.0.0.1:{HubProcess.FreePort()}"));
        var (context, page) = await OpenHealthAsync(hub);
        await using (context)
        {
            var errors = PageErrors.Watch(page);
            await Expect(page.Locator(".notice.warn")).ToContainTextAsync("Scheduled backups are paused");
            await page.Locator("#backup-now").ClickAsync();

            await Expect(page.Locator("#backup-status")).ToContainTextAsync("unreachable");
            await Expect(page.Locator("#backup-error")).ToContainTextAsync("unreachable");
            await Artifacts.ScreenshotAsync(page, "admin-backups-failing");
            errors.AssertNone();
        }
    }

    private static Dictionary<string, string> Settings(string endpoint) => new()
    {
        ["S3_BUCKET"] = Environment.GetEnvironmentVariable("HUB_TEST_S3_BUCKET") is { Length: > 0 } bucket ? bucket : "hub-backups",
        ["S3_ENDPOINT"] = endpoint,
        ["S3_PREFIX"] = $"browser-{Guid.NewGuid():N}/",
        ["AWS_ACCESS_KEY_ID"] = "S3RVER",
        ["AWS_SECRET_ACCESS_KEY"] = "S3RVER",
        ["BACKUP_INTERVAL_SECONDS"] = "3600",
    };

    private async Task<(IBrowserContext Context, IPage Page)> OpenHealthAsync(HubProcess hub)
    {
        var context = await fixture.NewContextAsync(hub: hub);
        var page = await context.NewPageAsync();
        await page.GotoAsync(hub.Link(hub.AdminToken) + "#/health");
        await Expect(page.Locator("#who")).ToHaveTextAsync("Signed in as the admin");
        return (context, page);
    }
}
