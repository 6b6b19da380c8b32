using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CompanyHub.Tests;

/// <summary>
/// The real hub (a child process) and its data directory going bad: a damaged SQLite file at start-up, and the disk
/// filling up under it (a small tmpfs, so the test needs root, as scripts/test runs in CI).
/// </summary>
public sealed class StoreFaultHubTests
{
    public static TheoryData<string> DamagedFiles() => ["CompanyHub.db", "audit.db", "conversations.db"];

    [Theory]
    [MemberData(nameof(DamagedFiles))]
    public async Task DamagedFileAtStart_HubRefuses_NamingTheFileAndTheRestore(string file)
    {
        var location = HubLocation.Create();
        try
        {
            await using (var first = await HubChild.StartAsync(location, []))
            {
                Assert.False(first.HasExited, first.Output);
            }

            // Garbage over the header (a file of the hub's, or one it will open) and no write-ahead log that still
            // holds a good first page: SQLite says it is not a database.
            var path = Path.Combine(location.Directory, file);
            File.Delete(path + "-wal");
            File.Delete(path + "-shm");
            await using (var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write))
            {
                await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(new string('#', 4096)));
            }

            await using var second = await HubChild.StartAsync(location, []);

            Assert.True(second.HasExited, $"The hub started on a damaged {file}:{Environment.NewLine}{second.Output}");
            Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(10)));
            var output = second.Output;
            Assert.Contains("Company Hub refused to start.", output, StringComparison.Ordinal);
            Assert.Contains($"The database file '{path}' is damaged (it is not a SQLite database)", output, StringComparison.Ordinal);
            Assert.Contains("dotnet CompanyHub.dll backups restore --force", output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        }
        finally
        {
            TryDelete(location.Directory);
        }
    }

    [Fact]
    public async Task DiskFull_WritesAre503_Unready_ErrorLogged_ThenRecovers_NothingAcceptedIsLost()
    {
        var location = HubLocation.Create();
        Mount(location.Directory, "size=24m");
        try
        {
            await using var hub = await HubChild.StartAsync(location, [new("Logging:LogLevel:Serverless.DurableTask", "Information")]);
            Assert.False(hub.HasExited, hub.Output);
            using var admin = hub.Http(hub.AdminToken);
            var before = await InviteAsync(admin, "before@company.com");
            Assert.Equal(HttpStatusCode.Accepted, before.Status);

            // Fill the file system; the hub's next writes that need space fail.
            var filler = Path.Combine(location.Directory, "filler.bin");
            Fill(filler);
            var accepted = new List<string> { before.Id! };
            var refused = new List<string>();
            for (var i = 0; i < 40 && refused.Count == 0; i++)
            {
                var email = $"during{i}@company.com";
                var answer = await InviteAsync(admin, email);
                if (answer.Status == HttpStatusCode.Accepted)
                {
                    accepted.Add(answer.Id!);
                }
                else
                {
                    Assert.True(answer.Status == HttpStatusCode.ServiceUnavailable, $"{(int)answer.Status}: {answer.Body}");
                    Assert.Contains("cannot save", answer.Body, StringComparison.Ordinal);
                    refused.Add(email);
                }
            }

            Assert.True(refused.Count > 0, $"No write was refused on a full disk:{Environment.NewLine}{hub.Output}");
            await WaitForReadyzAsync(hub, HttpStatusCode.ServiceUnavailable);
            Assert.Contains("The store cannot write: the disk holding", hub.Output, StringComparison.Ordinal);

            File.Delete(filler);
            var clock = Stopwatch.StartNew();
            await WaitForReadyzAsync(hub, HttpStatusCode.OK);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"ready again after {clock.Elapsed}");

            var after = await InviteAsync(admin, "after@company.com");
            Assert.Equal(HttpStatusCode.Accepted, after.Status);
            accepted.Add(after.Id!);
            foreach (var id in accepted)
            {
                await WaitForInviteStepAsync(admin, id);
            }

            var listed = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/onboardings"))!.Select(o => o!["email"]!.GetValue<string>()).ToList();
            Assert.True(!listed.Contains(refused[0]), $"{refused[0]} was refused with 503 but its onboarding exists");
            Assert.Equal(accepted.Count, listed.Count);
        }
        finally
        {
            Unmount(location.Directory);
            TryDelete(location.Directory);
        }
    }

    private static async Task<(HttpStatusCode Status, string? Id, string Body)> InviteAsync(HttpClient admin, string email)
    {
        using var response = await admin.PostAsJsonAsync("/api/admin/onboardings", new { email, name = email[..email.IndexOf('@', StringComparison.Ordinal)] });
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.StatusCode == HttpStatusCode.Accepted ? JsonNode.Parse(body)!["onboardingId"]!.GetValue<string>() : null, body);
    }

    /// <summary>Each accepted onboarding reaches its invite step (the user path waits for the sign-in).</summary>
    private static async Task WaitForInviteStepAsync(HttpClient admin, string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? step = null;
        while ((step = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/onboardings"))!.FirstOrDefault(o => o!["onboardingId"]!.GetValue<string>() == id)?["step"]?.GetValue<string>()) is not ("AwaitingOAuth" or "InviteSent"))
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"Onboarding {id} did not reach its invite after the disk was freed; it is at {step ?? "(missing)"}.");
            }

            await Task.Delay(100, CancellationToken.None);
        }
    }

    private static async Task WaitForReadyzAsync(HubChild hub, HttpStatusCode expected)
    {
        using var http = hub.Http();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        HttpStatusCode last;
        while ((last = (await http.GetAsync("/readyz")).StatusCode) != expected)
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"/readyz stayed {(int)last}, expected {(int)expected}:{Environment.NewLine}{hub.Output}");
            }

            await Task.Delay(100, CancellationToken.None);
        }
    }

    private static void Fill(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        var block = new byte[64 * 1024];
        try
        {
            while (true)
            {
                stream.Write(block);
                stream.Flush(flushToDisk: true);
            }
        }
        catch (IOException)
        {
            // No space left: exactly what the test wants.
        }
    }

    private static void Mount(string directory, string options)
    {
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", directory);
        Assert.True(code == 0, $"The disk-full test mounts a small tmpfs and needs root for it (scripts/test runs as root in CI): mount said {output}");
    }

    private static void Unmount(string directory) => Run("umount", "-l", directory);

    private static (int Code, string Output) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Trim());
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp clean-up.
        }
    }
}
