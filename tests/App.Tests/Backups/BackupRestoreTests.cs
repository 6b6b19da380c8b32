using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Backups;
using CompanyHub.Orchestrations.Approvals;
using Microsoft.Data.Sqlite;

namespace CompanyHub.Tests.Backups;

/// <summary>
/// Encrypted snapshots against a real S3-compatible server (s3rver, started by scripts/test): a fresh machine gets
/// everything back and carries on, retention, multipart, the command line, a wrong key and a tampered object are refused.
/// </summary>
public sealed class BackupRestoreTests
{
    [Fact]
    public async Task Snapshot_RestoredIntoAnEmptyDataDirectory_AgentsTokensProposalsAndOnboardingsCarryOn()
    {
        var prefix = TestBucket.NewPrefix();
        await using var tools = await ToolHub.StartAsync(Tools.Google, TestBucket.Settings(prefix));
        var alice = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice");
        var bob = await tools.OnboardWithGoogleAsync("bob@company.com", "Bob");
        var carolOnboarding = await tools.InviteAsync("carol@company.com", "Carol");
        await HubFlows.WaitForStepAsync(tools.Hub, carolOnboarding, "AwaitingOAuth");
        var subject = $"Contract {Guid.NewGuid():N}";
        string proposalId;
        using (var aliceHttp = tools.User(alice))
        {
            proposalId = await ToolHub.ProposeAsync(aliceHttp, alice, ProposalTypes.SendEmail, new JsonObject { ["to"] = "sarah@acme.com", ["subject"] = subject, ["body"] = "Signed copy attached." });
            await ToolHub.WaitForStatusAsync(aliceHttp, proposalId, ProposalStatus.Pending);
        }

        using (var admin = tools.Admin())
        {
            var response = await admin.PostAsync("/api/admin/backups", null);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            var files = JsonNode.Parse(body)!["files"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()).ToList();
            Assert.Contains("CompanyHub.db", files);
            Assert.Contains("audit.db", files);
            Assert.DoesNotContain(files, f => f.EndsWith(".key", StringComparison.Ordinal));
            var status = await admin.GetFromJsonAsync<JsonObject>("/api/admin/backups");
            Assert.Equal(JsonNode.Parse(body)!["id"]!.GetValue<string>(), status!["lastBackup"]!["id"]!.GetValue<string>());
        }

        var fresh = Path.Combine(Path.GetTempPath(), "hub-backup-tests", Guid.NewGuid().ToString("N"));
        await tools.RestartAsync(fresh);

        using (var admin = tools.Admin())
        {
            var status = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/backups"))!;
            Assert.True(status["restoredAtStart"] is JsonObject, status.ToJsonString());
            Assert.Null(status["paused"]);
            var agents = (await admin.GetFromJsonAsync<JsonArray>("/api/agents"))!.Select(a => a!["agentId"]!.GetValue<string>()).ToList();
            Assert.Contains(alice, agents);
            Assert.Contains(bob, agents);
            var restored = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/audit?action=backup.restored"))!;
            Assert.Contains(restored, a => a!["target"]?.GetValue<string>() == status["restoredAtStart"]!["id"]!.GetValue<string>() && a["outcome"]!.GetValue<string>() == "ok");
        }

        Assert.True(File.Exists(Path.Combine(fresh, "CompanyHub.db")));
        using (var bobHttp = tools.User(bob))
        {
            Assert.Equal(bob, (await bobHttp.GetFromJsonAsync<JsonObject>("/api/me"))!["agentId"]!.GetValue<string>());
        }

        // The proposal still waits, and an approval given after the restore runs the action.
        using (var aliceHttp = tools.User(alice))
        {
            Assert.Equal(ProposalStatus.Pending, ToolHub.Status(await ToolHub.GetProposalAsync(aliceHttp, proposalId)));
            await ToolHub.DecideOkAsync(aliceHttp, proposalId, "approve");
            var done = await ToolHub.WaitForFinalAsync(aliceHttp, proposalId);
            Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        }

        Assert.Single(tools.Google.SentEmails, m => m.Subject == subject);

        // The onboarding that waited for Carol's sign-in completes after the restore.
        var carol = await tools.SignInWithGoogleAsync(carolOnboarding);
        Assert.Equal("carol-company-com", carol);
        await HubFlows.WaitForStepAsync(tools.Hub, carolOnboarding, "Active");
    }

    [Fact]
    public async Task Retention_KeepsTheNewestN_LargeSnapshotsGoUpInParts_AndTheCommandLineRestoresThem()
    {
        var prefix = TestBucket.NewPrefix();
        var settings = TestBucket.Settings(prefix, ("BACKUP_RETENTION", "2"), ("S3_PART_SIZE_MB", "5"));
        await using var hub = await HubServer.StartAsync(settings);

        // A database of the data directory the hub knows nothing about is found and backed up too (11 MiB, incompressible).
        var extra = Path.Combine(hub.Directory, "extra.db");
        TestBucket.WriteLargeDatabase(extra);

        var results = new List<JsonObject>();
        using (var admin = hub.Http(hub.AdminToken))
        {
            for (var i = 0; i < 4; i++)
            {
                var response = await admin.PostAsync("/api/admin/backups", null);
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.OK, body);
                results.Add(JsonNode.Parse(body)!.AsObject());
            }
        }

        var ids = results.Select(r => r["id"]!.GetValue<string>()).ToList();
        Assert.Equal(3, results[0]["parts"]!.GetValue<int>());
        Assert.Empty(results[1]["deleted"]!.AsArray());
        Assert.Equal([ids[0]], results[2]["deleted"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.Equal([ids[1]], results[3]["deleted"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.Equal(new[] { ids[2], ids[3] }.Order(), (await TestBucket.KeysAsync(prefix)).Select(k => k[(prefix.Length + "snapshots/".Length)..]).Order());

        // The command line: list, restore into an empty directory, and refuse to replace an existing store without --force.
        var fresh = Path.Combine(Path.GetTempPath(), "hub-backup-tests", Guid.NewGuid().ToString("N"));
        string[] cli = [.. settings.Select(s => $"--{s.Key}={s.Value}"), $"--MASTER_KEY={hub.MasterKey}", $"--Host:DataDirectory={fresh}"];
        var (code, output, error) = await TestBucket.RunCommandAsync(["list", .. cli]);
        Assert.True(code == 0, error);
        Assert.Contains(ids[3], output, StringComparison.Ordinal);
        Assert.DoesNotContain(ids[0], output, StringComparison.Ordinal);

        (code, output, error) = await TestBucket.RunCommandAsync(["restore", .. cli]);
        Assert.True(code == 0, error);
        Assert.Contains($"Restored snapshot {ids[3]}", output, StringComparison.Ordinal);
        Assert.Equal(Blob(extra), Blob(Path.Combine(fresh, "extra.db")));

        (code, _, error) = await TestBucket.RunCommandAsync(["restore", ids[2], .. cli]);
        Assert.Equal(1, code);
        Assert.Contains("exists", error, StringComparison.Ordinal);
        Assert.Contains("--force", error, StringComparison.Ordinal);

        (code, output, error) = await TestBucket.RunCommandAsync(["restore", ids[2], "--force", .. cli]);
        Assert.True(code == 0, error);
        Assert.Contains($"Restored snapshot {ids[2]}", output, StringComparison.Ordinal);
        Assert.Contains(Directory.GetFiles(fresh), f => Path.GetFileName(f).StartsWith("CompanyHub.db.before-restore-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WrongKey_SnapshotsAreRefused_TheHubStartsEmptyAndDoesNotReplaceThem()
    {
        var prefix = TestBucket.NewPrefix();
        await using (var original = await HubServer.StartAsync(TestBucket.Settings(prefix)))
        {
            using var admin = original.Http(original.AdminToken);
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/admin/backups", null)).StatusCode);
        }

        var before = await TestBucket.KeysAsync(prefix);
        await using (var other = await HubServer.StartAsync(TestBucket.Settings(prefix, ("BACKUP_INTERVAL_SECONDS", "1"))))
        {
            using var admin = other.Http(other.AdminToken);
            var status = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/backups"))!;
            Assert.Contains("another root key", status["paused"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Null(status["restoredAtStart"]);
            Assert.All(status["snapshots"]!.AsArray(), s => Assert.Contains("another root key", s!["refused"]!.GetValue<string>(), StringComparison.Ordinal));

            // Paused: neither the schedule (every second here) nor the shutdown replaces the snapshots it could not read.
            await HubFlows.OnboardWithDevSignInAsync(other, "dora@example.com", "Dora");
            await Task.Delay(TimeSpan.FromSeconds(2.5));
        }

        Assert.Equal(before.Order(), (await TestBucket.KeysAsync(prefix)).Order());
    }

    [Fact]
    public async Task TamperedSnapshot_IsRefused_AndTheNextOlderOneIsRestored()
    {
        var prefix = TestBucket.NewPrefix();
        var settings = TestBucket.Settings(prefix);
        string key;
        string aliceToken;
        await using (var original = await HubServer.StartAsync(settings))
        {
            key = original.MasterKey;
            (_, aliceToken) = await HubFlows.OnboardWithDevSignInAsync(original, "alice@example.com", "Alice");
            using var admin = original.Http(original.AdminToken);
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/admin/backups", null)).StatusCode);
            await HubFlows.OnboardWithDevSignInAsync(original, "bob@example.com", "Bob");
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/admin/backups", null)).StatusCode);
        }

        // Flip one byte inside the newest snapshot's data.
        var empty = Path.Combine(Path.GetTempPath(), "hub-backup-tests", Guid.NewGuid().ToString("N"));
        using var reader = TestBucket.Reader(prefix, key, empty);
        var snapshots = await reader.CatalogueAsync(CancellationToken.None);
        Assert.True(snapshots.Count >= 2);
        var (newest, older) = (snapshots[0], snapshots[1]);
        using (var client = TestBucket.Client())
        {
            using var get = await client.GetObjectAsync(TestBucket.Bucket, newest.Key);
            using var copy = new MemoryStream();
            await get.ResponseStream.CopyToAsync(copy);
            var bytes = copy.ToArray();
            bytes[^40] ^= 0x01;
            await client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = TestBucket.Bucket, Key = newest.Key, InputStream = new MemoryStream(bytes), UseChunkEncoding = false });
        }

        // Asked for by id, the tampered snapshot is refused and the next older one is offered.
        var reports = new List<string>();
        var refused = await Assert.ThrowsAsync<BackupFailedException>(() => reader.RestoreAsync(newest.Id, force: false, reports.Add, CancellationToken.None));
        Assert.Contains("refused", refused.Message, StringComparison.Ordinal);
        var report = Assert.Single(reports);
        Assert.Contains("fails authentication", report, StringComparison.Ordinal);
        Assert.Contains($"next older snapshot is {older.Id}", report, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(empty, "CompanyHub.db")));

        // A fresh machine restores the older one at start-up.
        await using var restored = await HubServer.StartAsync(settings, masterKey: key);
        using var restoredAdmin = restored.Http(restored.AdminToken);
        var status = (await restoredAdmin.GetFromJsonAsync<JsonObject>("/api/admin/backups"))!;
        Assert.Equal(older.Id, status["restoredAtStart"]!["id"]!.GetValue<string>());
        var tampered = status["snapshots"]!.AsArray().Single(s => s!["id"]!.GetValue<string>() == newest.Id)!;
        Assert.Contains("fails authentication", tampered["refused"]!.GetValue<string>(), StringComparison.Ordinal);
        using var alice = restored.Http(aliceToken);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task BucketUnreachable_WarningAndStatus_TheHubKeepsRunning()
    {
        var unreachable = $"http://127.0.0.1:{HubServer.FreePort()}";
        var settings = TestBucket.Settings(TestBucket.NewPrefix(), ("S3_ENDPOINT", unreachable), ("BACKUP_INTERVAL_SECONDS", "1"));
        settings.RemoveAll(s => s.Key == "S3_ENDPOINT" && s.Value != unreachable);

        // A hub with a store: the scheduled backup fails, is logged and shown, and the hub goes on serving.
        var directory = Path.Combine(Path.GetTempPath(), "hub-backup-tests", Guid.NewGuid().ToString("N"));
        string key;
        await using (var first = await HubServer.StartAsync(directory: directory))
        {
            key = first.MasterKey;
        }

        await using (var hub = await HubServer.StartAsync(settings, directory, key))
        {
            var (_, token) = await HubFlows.OnboardWithDevSignInAsync(hub, "erin@example.com", "Erin");
            await ToolHub.WaitUntilAsync(() => hub.Logs.Lines.Any(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("Backup failed", StringComparison.Ordinal) && l.Contains("unreachable", StringComparison.Ordinal)), "the warning that the bucket is unreachable");

            using var admin = hub.Http(hub.AdminToken);
            var status = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/backups"))!;
            Assert.Contains("unreachable", status["lastError"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
            var now = await admin.PostAsync("/api/admin/backups", null);
            Assert.Equal(HttpStatusCode.BadGateway, now.StatusCode);
            Assert.Equal("application/problem+json", now.Content.Headers.ContentType?.MediaType);
            Assert.Contains("unreachable", (await now.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);

            Assert.Equal(HttpStatusCode.OK, (await hub.Http().GetAsync("/healthz")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await hub.Http().GetAsync("/readyz")).StatusCode);
            using var erin = hub.Http(token);
            Assert.Equal(HttpStatusCode.OK, (await erin.GetAsync("/api/me")).StatusCode);
        }

        // A fresh machine that cannot reach the bucket starts empty, with scheduled backups paused and the reason shown.
        await using var fresh = await HubServer.StartAsync(settings);
        using var freshAdmin = fresh.Http(fresh.AdminToken);
        var paused = (await freshAdmin.GetFromJsonAsync<JsonObject>("/api/admin/backups"))!["paused"]!.GetValue<string>();
        Assert.Contains("could not be read", paused, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await fresh.Http().GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task BackupApi_IsForTheAdminOnly_AndSaysWhenBackupsAreNotConfigured()
    {
        await using (var hub = await HubServer.StartAsync(TestBucket.Settings(TestBucket.NewPrefix())))
        {
            var (_, token) = await HubFlows.OnboardWithDevSignInAsync(hub, "fay@example.com", "Fay");
            using var anonymous = hub.Http();
            using var user = hub.Http(token);
            using var admin = hub.Http(hub.AdminToken);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/admin/backups")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/admin/backups", null)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await user.GetAsync("/api/admin/backups")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await user.PostAsync("/api/admin/backups", null)).StatusCode);

            var made = (await (await admin.PostAsync("/api/admin/backups", null)).Content.ReadFromJsonAsync<JsonObject>())!;
            var status = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/backups"))!;
            Assert.True(status["enabled"]!.GetValue<bool>());
            Assert.Equal(made["id"]!.GetValue<string>(), status["lastBackup"]!["id"]!.GetValue<string>());
            Assert.InRange(status["lastBackup"]!["ageSeconds"]!.GetValue<long>(), 0, 60);
            Assert.Null(status["lastError"]);
            var audit = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/audit?action=backup.created"))!;
            Assert.Contains(audit, a => a!["target"]?.GetValue<string>() == made["id"]!.GetValue<string>());
        }

        await using var plain = await HubServer.StartAsync();
        using var plainAdmin = plain.Http(plain.AdminToken);
        Assert.False((await plainAdmin.GetFromJsonAsync<JsonObject>("/api/admin/backups"))!["enabled"]!.GetValue<bool>());
        var refused = await plainAdmin.PostAsync("/api/admin/backups", null);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("S3_BUCKET", (await refused.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static byte[] Blob(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT b FROM blobs";
        return (byte[])command.ExecuteScalar()!;
    }
}
