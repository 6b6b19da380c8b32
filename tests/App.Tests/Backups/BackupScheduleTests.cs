using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Backups;

namespace CompanyHub.Tests.Backups;

/// <summary>When snapshots are taken by themselves: on the schedule only when something changed, and at a graceful stop.</summary>
public sealed class BackupScheduleTests
{
    [Fact]
    public async Task Schedule_UploadsWhenSomethingChanged_AndNotWhenNothingDid()
    {
        var prefix = TestBucket.NewPrefix();
        await using var hub = await HubServer.StartAsync(TestBucket.Settings(prefix, ("BACKUP_INTERVAL_SECONDS", "1")));
        using var admin = hub.Http(hub.AdminToken);
        var first = await WaitForScheduledAsync(admin, null);

        // Idle: the schedule looks every second and uploads nothing.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(first, await LastBackupIdAsync(admin));
        Assert.Single(await TestBucket.KeysAsync(prefix));

        // A change: the next tick uploads it.
        await HubFlows.OnboardWithDevSignInAsync(hub, "gus@example.com", "Gus");
        var second = await WaitForScheduledAsync(admin, first);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task GracefulStop_UploadsWhatChangedSinceTheLastSnapshot()
    {
        var prefix = TestBucket.NewPrefix();
        string key;
        await using (var hub = await HubServer.StartAsync(TestBucket.Settings(prefix)))
        {
            key = hub.MasterKey;
            await HubFlows.OnboardWithDevSignInAsync(hub, "hal@example.com", "Hal");
            Assert.Empty(await TestBucket.KeysAsync(prefix));
        }

        var directory = Path.Combine(Path.GetTempPath(), "hub-backup-tests", Guid.NewGuid().ToString("N"));
        using var reader = TestBucket.Reader(prefix, key, directory);
        var snapshot = Assert.Single(await reader.CatalogueAsync(CancellationToken.None));
        Assert.Equal("shutdown", snapshot.Manifest!.Reason);
        Assert.Contains(snapshot.Manifest.Files, f => f.Name == "CompanyHub.db" && f.Role == SnapshotFiles.StoreRole);
    }

    private static async Task<string?> LastBackupIdAsync(HttpClient admin) =>
        (await admin.GetFromJsonAsync<JsonObject>("/api/admin/backups"))!["lastBackup"]?["id"]?.GetValue<string>();

    private static async Task<string> WaitForScheduledAsync(HttpClient admin, string? previous)
    {
        string? id = null;
        await ToolHub.WaitUntilAsync(() => (id = LastBackupIdAsync(admin).GetAwaiter().GetResult()) is not null && id != previous, "a scheduled backup");
        return id!;
    }
}
