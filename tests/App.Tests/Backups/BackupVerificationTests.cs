using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Amazon.S3.Model;

namespace CompanyHub.Tests.Backups;

/// <summary>
/// Every upload is read back and compared with what was sent: a bucket that answers 200 but keeps something else (s3rver
/// with aws-chunked bodies) makes a failed backup, and retention never lets such an object push a good snapshot out.
/// </summary>
public sealed class BackupVerificationTests
{
    [Fact]
    public async Task Upload_TheBucketKeepsSomethingElse_IsAFailedBackup_TheObjectIsRemoved_AndThePreviousSnapshotStays()
    {
        var prefix = TestBucket.NewPrefix();
        var directory = Path.Combine(Path.GetTempPath(), "hub-backup-tests", Guid.NewGuid().ToString("N"));
        string key;

        // The defaults against s3rver: the snapshot reads back, and the answer names the SHA-256 of what the bucket holds.
        await using (var hub = await HubServer.StartAsync(TestBucket.Settings(prefix), directory))
        {
            key = hub.MasterKey;
            using var admin = hub.Http(hub.AdminToken);
            var response = await admin.PostAsync("/api/admin/backups", null);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            var made = JsonNode.Parse(body)!;
            Assert.Equal(await StoredSha256Async(prefix + "snapshots/" + made["id"]!.GetValue<string>()), made["sha256"]?.GetValue<string>());
        }

        // The good snapshots: the one made on demand and the one taken at the stop.
        var good = await TestBucket.KeysAsync(prefix);
        var fresh = Path.Combine(Path.GetTempPath(), "hub-backup-tests", Guid.NewGuid().ToString("N"));
        using var reader = TestBucket.Reader(prefix, key, fresh);
        var newest = (await reader.CatalogueAsync(CancellationToken.None))[0].Id;

        // aws-chunked bodies: s3rver answers 200 and stores the chunk framing with the data (the review's case).
        var broken = TestBucket.Settings(prefix, ("S3_CHUNK_ENCODING", "true"), ("BACKUP_RETENTION", "1"), ("S3_PART_SIZE_MB", "5"), ("BACKUP_INTERVAL_SECONDS", "1"));
        await using (var hub = await HubServer.StartAsync(broken, directory, key))
        {
            using var admin = hub.Http(hub.AdminToken);
            var single = await admin.PostAsync("/api/admin/backups", null);
            await AssertUnreadableAsync(single);

            // A change the schedule sees, and a snapshot large enough for a multipart upload (three parts).
            TestBucket.WriteLargeDatabase(Path.Combine(hub.Directory, "extra.db"));
            var multipart = await admin.PostAsync("/api/admin/backups", null);
            await AssertUnreadableAsync(multipart);

            // The schedule fails the same way, says so, and tries again at the next interval.
            await ToolHub.WaitUntilAsync(
                () => hub.Logs.Lines.Any(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("does not read back as sent", StringComparison.Ordinal) && l.Contains("tries again", StringComparison.Ordinal)),
                "the scheduled backup's failure");
            Assert.Contains(hub.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("does not read back as sent", StringComparison.Ordinal));

            var status = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/backups"))!;
            Assert.Contains("does not read back as sent", status["lastError"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(newest, status["lastBackup"]!["id"]!.GetValue<string>());
            var audit = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/audit?action=backup.created"))!;
            Assert.Contains(audit, a => a!["outcome"]!.GetValue<string>() == "failed" && a["detail"]!.GetValue<string>().Contains("does not read back", StringComparison.Ordinal));
        }

        // After the stop (whose backup failed too): the unreadable objects are gone, and retention (1) took no good one.
        Assert.Equal(good.Order(), (await TestBucket.KeysAsync(prefix)).Order());
        var restored = await reader.RestoreAsync(null, force: false, _ => { }, CancellationToken.None);
        Assert.Equal(newest, restored.Id);
    }

    [Fact]
    public async Task Retention_CountsOnlySnapshotsThatReadBack()
    {
        var prefix = TestBucket.NewPrefix();
        await using var hub = await HubServer.StartAsync(TestBucket.Settings(prefix, ("BACKUP_RETENTION", "2")));
        using var admin = hub.Http(hub.AdminToken);
        var first = (await (await admin.PostAsync("/api/admin/backups", null)).Content.ReadFromJsonAsync<JsonObject>())!;
        var firstId = first["id"]!.GetValue<string>();

        // An object no hub can read, newer than the first snapshot: s3rver dates objects to the second, so wait for the next one.
        var firstSecond = first["createdAt"]!.GetValue<DateTimeOffset>().ToUnixTimeSeconds();
        await ToolHub.WaitUntilAsync(() => DateTimeOffset.UtcNow.ToUnixTimeSeconds() > firstSecond, "the next second");
        var unreadable = prefix + "snapshots/" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using (var client = TestBucket.Client())
        {
            await client.PutObjectAsync(new PutObjectRequest { BucketName = TestBucket.Bucket, Key = unreadable, ContentBody = "not a snapshot", UseChunkEncoding = false });
        }

        var second = (await (await admin.PostAsync("/api/admin/backups", null)).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Empty(second["deleted"]!.AsArray());
        var snapshots = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/backups"))!["snapshots"]!.AsArray();
        Assert.Equal([second["id"]!.GetValue<string>(), unreadable[(prefix.Length + "snapshots/".Length)..], firstId], snapshots.Select(s => s!["id"]!.GetValue<string>()));
        Assert.Contains("unknown format", snapshots[1]!["refused"]!.GetValue<string>(), StringComparison.Ordinal);

        // A third readable snapshot: now the first is the oldest beyond the newest two readable ones, and goes with the unreadable one.
        var third = (await (await admin.PostAsync("/api/admin/backups", null)).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(new[] { firstId, unreadable[(prefix.Length + "snapshots/".Length)..] }.Order(), third["deleted"]!.AsArray().Select(d => d!.GetValue<string>()).Order());
        Assert.Equal(
            new[] { second["id"]!.GetValue<string>(), third["id"]!.GetValue<string>() }.Select(id => prefix + "snapshots/" + id).Order(),
            (await TestBucket.KeysAsync(prefix)).Order());
    }

    private static async Task AssertUnreadableAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadGateway, body);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var detail = JsonNode.Parse(body)!["detail"]!.GetValue<string>();
        Assert.Contains("does not read back as sent", detail, StringComparison.Ordinal);
        Assert.Contains("it was deleted", detail, StringComparison.Ordinal);
        Assert.Contains("S3_CHUNK_ENCODING", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("S3RVER", detail, StringComparison.Ordinal);
    }

    private static async Task<string> StoredSha256Async(string key)
    {
        using var client = TestBucket.Client();
        using var response = await client.GetObjectAsync(TestBucket.Bucket, key);
        using var bytes = new MemoryStream();
        await response.ResponseStream.CopyToAsync(bytes);
        return Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray()));
    }
}
