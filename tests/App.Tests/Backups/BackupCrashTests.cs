using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Serverless.DurableTask;

namespace CompanyHub.Tests.Backups;

/// <summary>The hub killed in the middle of a multipart upload (crash point <c>backup.upload</c>): nothing half-uploaded becomes a snapshot.</summary>
public sealed class BackupCrashTests
{
    [Fact]
    public async Task KilledBetweenUploadParts_NoSnapshotAppears_AndTheNextStartBacksUpCleanly()
    {
        var prefix = TestBucket.NewPrefix();
        var settings = TestBucket.Settings(prefix, ("S3_PART_SIZE_MB", "5"), ("BACKUP_INTERVAL_SECONDS", "1"));
        var directory = Directory.CreateTempSubdirectory("hub-backup-crash-").FullName;
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(directory, "extra.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE blobs (b BLOB); INSERT INTO blobs VALUES (randomblob(11 * 1024 * 1024));";
            command.ExecuteNonQuery();
        }

        // The real hub as a child process; the first scheduled backup has three parts, and the process dies after the second.
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = AppContext.BaseDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CompanyHub.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{HubServer.FreePort()}");
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        start.Environment["DATA_DIR"] = directory;
        start.Environment["MASTER_KEY"] = key;
        start.Environment[CrashPoints.EnvironmentVariable] = CrashPoints.DuringSnapshotUpload + "@2";
        using (var process = Process.Start(start)!)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"The hub was not killed at the crash point within 60 s:\n{await output}\n{await error}");
            }

            Assert.NotEqual(0, process.ExitCode);
            Assert.Contains("crash point 'backup.upload' reached (occurrence 2)", await error, StringComparison.Ordinal);
        }

        Assert.Empty(await TestBucket.KeysAsync(prefix));
        Assert.True(Directory.Exists(Path.Combine(directory, ".backup-work")), "the interrupted backup left its work folder");

        // The next start clears the leftovers and backs up as usual.
        await using var hub = await HubServer.StartAsync(settings, directory, key);
        Assert.False(Directory.Exists(Path.Combine(directory, ".backup-work")));
        using var admin = hub.Http(hub.AdminToken);
        var response = await admin.PostAsync("/api/admin/backups", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, (await response.Content.ReadFromJsonAsync<JsonObject>())!["parts"]!.GetValue<int>());
        Assert.Single(await TestBucket.KeysAsync(prefix));
    }
}
