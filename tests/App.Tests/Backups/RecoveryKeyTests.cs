using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CompanyHub.Backups;
using CompanyHub.Security;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace CompanyHub.Tests.Backups;

/// <summary>
/// The recovery key against a real S3-compatible server: shown once at the first start, it restores the snapshots on a
/// fresh data directory under another root key (by command or at start-up), after which the hub works — its agents,
/// their Google credentials; a wrong or mistyped key is refused and nothing is touched; rotation is the admin's, audited;
/// the key never reaches a log.
/// </summary>
public sealed partial class RecoveryKeyTests
{
    private const string Alice = "alice@company.com";

    [Fact]
    public async Task RecoveryKey_RestoresOnAFreshDirectoryUnderAnotherRootKey_TheHubWorks_AndTheKeyIsNeverLogged()
    {
        var prefix = TestBucket.NewPrefix();
        var settings = TestBucket.Settings(prefix);
        await using var g = await GoogleHub.StartAsync(settings, Alice);
        var original = g.Hub;

        // The first start with backups made the recovery key and showed it on the console, this once.
        var shown = RecoveryKeyIn(original.ConsoleOutput);
        var shownId = RecoveryKey.Parse(shown).PublicKey.KeyId;
        Assert.Contains(await HubFlows.AuditAsync(original, "recovery.created"), a => a["target"]!.GetValue<string>() == shownId);

        // Alice signs in with Google: her refresh token is sealed under the original root key. Then a snapshot.
        await g.ConnectSenderAsync();
        var (status, html) = await g.SignInAsync(await OnboardingGoogleTests.RequestInviteCodeAsync(original, Alice));
        Assert.True(status == HttpStatusCode.OK, html);
        var aliceToken = GoogleHub.TokenIn(html);
        using (var admin = original.Http(original.AdminToken))
        {
            var made = await admin.PostAsync("/api/admin/backups", null);
            Assert.True(made.StatusCode == HttpStatusCode.OK, await made.Content.ReadAsStringAsync());
        }

        // A new deployment: another root key, an empty data directory.
        var newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var fresh = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "hub-backup-tests", Guid.NewGuid().ToString("N"))).FullName;
        string[] cli = [.. settings.Select(s => $"--{s.Key}={s.Value}"), $"--MASTER_KEY={newKey}", $"--Host:DataDirectory={fresh}"];

        // Without the recovery key the snapshots are refused, saying which recovery key would open them.
        var (code, output, error) = await TestBucket.RunCommandAsync(["restore", .. cli]);
        Assert.Equal(1, code);
        Assert.Contains($"recovery key (id {shownId})", error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(fresh, "*", SearchOption.AllDirectories).Select(f => f + " " + new FileInfo(f).Length));

        // A wrong recovery key is refused, naming both ids; a mistyped one before anything is read. Nothing is touched.
        var wrong = RecoveryKey.Generate(DateTimeOffset.UtcNow);
        (code, _, error) = await TestBucket.RunCommandAsync(["restore", "--recovery-key", wrong.Text, .. cli]);
        Assert.Equal(1, code);
        Assert.Contains($"made for recovery key id {shownId}; the recovery key given has id {wrong.PublicKey.KeyId}", error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(fresh));
        (code, _, error) = await TestBucket.RunCommandAsync(["restore", $"--recovery-key={shown[..^1]}{(shown[^1] == '2' ? '3' : '2')}", .. cli]);
        Assert.Equal(2, code);
        Assert.Contains("--recovery-key: The recovery key is mistyped", error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(fresh));

        // The right one restores everything, and the new hub keeps the same recovery key.
        var cliOutput = new StringBuilder();
        (code, output, error) = await TestBucket.RunCommandAsync(["restore", "--recovery-key", shown.ToLowerInvariant().Replace('-', ' '), .. cli]);
        cliOutput.Append(output).Append(error);
        Assert.True(code == 0, error);
        Assert.Contains("Restored snapshot", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(fresh, InheritedSealingKeys.FileName)));

        await g.RestartAsync(newKey, directory: fresh);
        var restored = g.Hub;
        Assert.NotEqual(original.AdminToken, restored.AdminToken);
        Assert.DoesNotMatch(RecoveryKeyLine(), restored.ConsoleOutput);
        Assert.Contains($"Recovery key id: {shownId}", restored.ConsoleOutput, StringComparison.Ordinal);
        using (var admin = restored.Http(restored.AdminToken))
        {
            var agents = (await admin.GetFromJsonAsync<JsonArray>("/api/agents"))!.Select(a => a!["agentId"]!.GetValue<string>()).ToList();
            Assert.Contains("alice-company-com", agents);
            Assert.Equal(shownId, (await admin.GetFromJsonAsync<JsonObject>("/api/admin/backups"))!["recoveryKey"]!["id"]!.GetValue<string>());

            // The credentials sealed under the old root key move under the new one.
            var box = restored.Services.GetRequiredService<SecretBox>();
            await HubFlows.WaitUntilAsync(async () => await MasterKeyRotationTests.CredentialIsCurrentAsync(admin, box, "alice-company-com"), () => "Alice's Google credential to be re-sealed under the new root key");
        }

        Assert.Contains(await HubFlows.AuditAsync(restored, "key.resealed"), a => a["detail"]!.GetValue<string>().Contains("alice-company-com", StringComparison.Ordinal));

        // Alice's link still works, and her Google refresh token opens: an approved email goes out through Gmail.
        var sentBefore = g.Google.SentEmails.Count(m => m.Account == Alice);
        using (var alice = restored.Http(aliceToken))
        {
            var proposalId = await AccessControlTests.ProposeGmailAsync(alice, "alice-company-com");
            Assert.Equal(HttpStatusCode.Accepted, (await alice.PostAsJsonAsync($"/api/proposals/{proposalId}/decision", new { decision = "approve", revision = 1 })).StatusCode);
            JsonObject? view = null;
            await HubFlows.WaitUntilAsync(async () => (view = await alice.GetFromJsonAsync<JsonObject>($"/api/proposals/{proposalId}"))!["status"]!.GetValue<string>() is "succeeded" or "failed", () => $"the proposal to run: {view}");
            Assert.True(view!["status"]!.GetValue<string>() == "succeeded", view.ToJsonString());
        }

        Assert.Equal(sentBefore + 1, g.Google.SentEmails.Count(m => m.Account == Alice));

        // The key was on the console once; no log line of either hub, no command output and no file carries it.
        AssertNowhere(shown, original.Logs.Lines, restored.Logs.Lines, [cliOutput.ToString()], FileTexts(original.Directory), FileTexts(fresh));
    }

    [Fact]
    public async Task RecoveryKeyRotation_IsForTheAdminOnly_Audited_ShownOnce_AndNewSnapshotsNeedTheNewKey()
    {
        var prefix = TestBucket.NewPrefix();
        var directory = Path.Combine(Path.GetTempPath(), "hub-backup-tests", Guid.NewGuid().ToString("N"));
        string first;
        string second;
        string masterKey;
        string madeForFirst;
        string madeForSecond;
        await using (var hub = await HubServer.StartAsync(TestBucket.Settings(prefix), directory))
        {
            masterKey = hub.MasterKey;
            first = RecoveryKeyIn(hub.ConsoleOutput);
            var firstId = RecoveryKey.Parse(first).PublicKey.KeyId;
            var (_, userToken) = await HubFlows.OnboardWithDevSignInAsync(hub, "fay@example.com", "Fay");
            using (var user = hub.Http(userToken))
            using (var anonymous = hub.Http())
            {
                await HubFlows.AssertProblemAsync(await anonymous.PostAsync("/api/admin/backups/recovery-key", null), HttpStatusCode.Unauthorized);
                await HubFlows.AssertProblemAsync(await user.PostAsync("/api/admin/backups/recovery-key", null), HttpStatusCode.NotFound);
            }

            using var admin = hub.Http(hub.AdminToken);
            madeForFirst = await BackUpAsync(admin);

            using var rotated = await admin.PostAsync("/api/admin/backups/recovery-key", null);
            var body = (await rotated.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
            Assert.Equal("no-store", rotated.Headers.CacheControl?.ToString());
            second = body["recoveryKey"]!.GetValue<string>();
            var secondId = RecoveryKey.Parse(second).PublicKey.KeyId;
            Assert.Equal(secondId, body["keyId"]!.GetValue<string>());
            Assert.Equal(firstId, body["replacedKeyId"]!.GetValue<string>());

            var audit = Assert.Single(await HubFlows.AuditAsync(hub, "recovery.rotated"));
            Assert.Equal("admin", audit["actor"]!.GetValue<string>());
            Assert.Equal(secondId, audit["target"]!.GetValue<string>());
            Assert.Contains($"{firstId} → {secondId}", audit["detail"]!.GetValue<string>(), StringComparison.Ordinal);

            // Shown once: the status names the key by its id only.
            var statusText = await admin.GetStringAsync("/api/admin/backups");
            Assert.Equal(secondId, JsonNode.Parse(statusText)!["recoveryKey"]!["id"]!.GetValue<string>());
            Assert.DoesNotContain(second, statusText, StringComparison.Ordinal);
            madeForSecond = await BackUpAsync(admin);
            AssertNowhere(first, hub.Logs.Lines);
            AssertNowhere(second, hub.Logs.Lines);
        }

        // Each snapshot opens with the recovery key that was current when it was made, and only with that one.
        var elsewhere = Path.Combine(Path.GetTempPath(), "hub-backup-tests", Guid.NewGuid().ToString("N"));
        var otherRoot = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        using var withFirst = TestBucket.Reader(prefix, otherRoot, elsewhere);
        withFirst.OpenWith(RecoveryKey.Parse(first));
        using var withSecond = TestBucket.Reader(prefix, otherRoot, elsewhere);
        withSecond.OpenWith(RecoveryKey.Parse(second));
        var byFirst = (await withFirst.CatalogueAsync(CancellationToken.None)).ToDictionary(s => s.Id);
        var bySecond = (await withSecond.CatalogueAsync(CancellationToken.None)).ToDictionary(s => s.Id);
        Assert.NotNull(byFirst[madeForFirst].Manifest);
        Assert.Contains($"made for recovery key id {RecoveryKey.Parse(second).PublicKey.KeyId}", byFirst[madeForSecond].Refused, StringComparison.Ordinal);
        Assert.NotNull(bySecond[madeForSecond].Manifest);
        Assert.Contains($"made for recovery key id {RecoveryKey.Parse(first).PublicKey.KeyId}", bySecond[madeForFirst].Refused, StringComparison.Ordinal);

        // At the next start only the current key's id is shown.
        await using (var again = await HubServer.StartAsync(TestBucket.Settings(prefix), directory, masterKey))
        {
            Assert.DoesNotMatch(RecoveryKeyLine(), again.ConsoleOutput);
            Assert.Contains($"Recovery key id: {RecoveryKey.Parse(second).PublicKey.KeyId}", again.ConsoleOutput, StringComparison.Ordinal);
            Assert.Single(await HubFlows.AuditAsync(again, "recovery.created"));
        }

        // Restoring the snapshot made before the rotation brings back its recovery key with the rest of its state.
        string[] cli = [.. TestBucket.Settings(prefix).Select(s => $"--{s.Key}={s.Value}"), $"--MASTER_KEY={masterKey}", $"--Host:DataDirectory={directory}"];
        var (code, _, error) = await TestBucket.RunCommandAsync(["restore", madeForFirst, "--force", .. cli]);
        Assert.True(code == 0, error);
        await using var restored = await HubServer.StartAsync(TestBucket.Settings(prefix), directory, masterKey);
        Assert.Contains($"Recovery key id: {RecoveryKey.Parse(first).PublicKey.KeyId}", restored.ConsoleOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NewDeployment_RestoresAtStartWithBackupRecoveryKey_AndWithoutItStaysPausedWithoutMakingANewKey()
    {
        var prefix = TestBucket.NewPrefix();
        var settings = TestBucket.Settings(prefix);
        string shown;
        string doraToken;
        await using (var original = await HubServer.StartAsync(settings))
        {
            shown = RecoveryKeyIn(original.ConsoleOutput);
            (_, doraToken) = await HubFlows.OnboardWithDevSignInAsync(original, "dora@example.com", "Dora");
            using var admin = original.Http(original.AdminToken);
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/admin/backups", null)).StatusCode);
        }

        var shownId = RecoveryKey.Parse(shown).PublicKey.KeyId;
        await using (var blind = await HubServer.StartAsync(settings))
        {
            using var admin = blind.Http(blind.AdminToken);
            var status = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/backups"))!;
            Assert.Contains($"recovery key (id {shownId})", status["paused"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Null(status["recoveryKey"]);
            Assert.DoesNotMatch(RecoveryKeyLine(), blind.ConsoleOutput);
            Assert.False(File.Exists(Path.Combine(blind.Directory, RecoveryKeyFile.FileName)));

            // Backing up this empty state needs a recovery key first, made on purpose; its snapshots are not made for the
            // original key, so the restore below skips them.
            var refused = await HubFlows.AssertProblemAsync(await admin.PostAsync("/api/admin/backups", null), HttpStatusCode.Conflict);
            Assert.Contains("no recovery key yet", refused, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/admin/backups/recovery-key", null)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/admin/backups", null)).StatusCode);
        }

        await using var restored = await HubServer.StartAsync([.. settings, new("BACKUP_RECOVERY_KEY", shown)]);
        using (var admin = restored.Http(restored.AdminToken))
        {
            var status = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/backups"))!;
            Assert.True(status["restoredAtStart"] is JsonObject, status.ToJsonString());
            Assert.Null(status["paused"]);
            Assert.Equal(shownId, status["recoveryKey"]!["id"]!.GetValue<string>());
            Assert.Contains(status["snapshots"]!.AsArray(), s => s!["refused"]?.GetValue<string>().Contains("made for recovery key id", StringComparison.Ordinal) == true);
        }

        using (var dora = restored.Http(doraToken))
        {
            Assert.Equal("dora-example-com", (await dora.GetFromJsonAsync<JsonObject>("/api/me"))!["agentId"]!.GetValue<string>());
        }

        Assert.DoesNotMatch(RecoveryKeyLine(), restored.ConsoleOutput);
        AssertNowhere(shown, restored.Logs.Lines);
    }

    [Fact]
    public async Task FormatOneSnapshot_WrittenByTheOldWriter_RestoresWithItsRootKey()
    {
        var prefix = TestBucket.NewPrefix();
        using (var client = TestBucket.Client())
        {
            await client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest
            {
                BucketName = TestBucket.Bucket,
                Key = prefix + "snapshots/" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
                FilePath = Path.Combine(SnapshotFormatTests.FixturePath(), "v1.bin"),
                UseChunkEncoding = false,
            });
        }

        var directory = Path.Combine(Path.GetTempPath(), "hub-backup-tests", Guid.NewGuid().ToString("N"));
        using var reader = TestBucket.Reader(prefix, SnapshotFormatTests.FormatOneMasterKey, directory);
        var result = await reader.RestoreAsync(null, force: false, _ => { }, CancellationToken.None);

        Assert.Equal(["CompanyHub.db", "audit.db"], result.Files.Select(f => f.Name));
        using var connection = new SqliteConnection($"Data Source={Path.Combine(directory, "CompanyHub.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT what FROM fixture";
        Assert.Equal("store written by the v1 snapshot writer", command.ExecuteScalar());

        // It carries no keys: nothing to inherit, no recovery key to install (the hub makes one at its next start).
        Assert.False(File.Exists(Path.Combine(directory, RecoveryKeyFile.FileName)));
        Assert.False(File.Exists(Path.Combine(directory, InheritedSealingKeys.FileName)));
    }

    private static async Task<string> BackUpAsync(HttpClient admin)
    {
        using var response = await admin.PostAsync("/api/admin/backups", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!["id"]!.GetValue<string>();
    }

    private static string RecoveryKeyIn(string console)
    {
        var match = RecoveryKeyLine().Match(console);
        Assert.True(match.Success, $"no recovery key on the console:{Environment.NewLine}{console}");
        return match.Groups[1].Value;
    }

    /// <summary>Fails if the key, as shown or without its dashes, is in any of the texts.</summary>
    private static void AssertNowhere(string key, params IEnumerable<string>[] texts)
    {
        foreach (var text in texts.SelectMany(t => t))
        {
            Assert.DoesNotContain(key, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(key.Replace("-", "", StringComparison.Ordinal), text, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>Every file under a directory, read as text (SQLite files with their WAL included; not the store's empty lock file, which a running hub holds exclusively).</summary>
    private static IEnumerable<string> FileTexts(string directory)
    {
        SqliteConnection.ClearAllPools();
        return Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".db.lock", StringComparison.Ordinal)).Select(f =>
        {
            using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var text = new StreamReader(stream, Encoding.Latin1);
            return text.ReadToEnd();
        }).ToList();
    }

    [GeneratedRegex(@"Recovery key:\s+([0-9A-Z]{4}(?:-[0-9A-Z]{4}){7})", RegexOptions.CultureInvariant)]
    private static partial Regex RecoveryKeyLine();
}
