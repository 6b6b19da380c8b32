using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using CompanyHub.Backups;
using CompanyHub.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace CompanyHub.Tests.Backups;

/// <summary>
/// <c>scripts/services</c> and s3rver as docs/backups.md tells a developer to use them: the settings <c>env</c> prints are
/// enough for the hub to back up to the server it started, and a restart keeps the snapshots unless HUB_S3_WIPE=1.
/// Runs its own s3rver (own folder and port), not the one the other tests share.
/// </summary>
public sealed partial class S3ServiceScriptTests
{
    [Fact]
    public async Task EnvPrintsTheHubsSettings_ThatBackUpToTheServer_AndARestartKeepsTheSnapshotsUnlessWiped()
    {
        var root = Path.Combine(Path.GetTempPath(), "hub-s3-services-" + Guid.NewGuid().ToString("N"));
        var port = HubServer.FreePort();
        try
        {
            await ServicesAsync("start", root, port);
            var exported = Exports(await ServicesAsync("env", root, port));
            Assert.Equal($"http://127.0.0.1:{port}", exported["HUB_TEST_S3_ENDPOINT"]);

            // The hub with exactly what `env` printed for it (and nothing else but a prefix) backs up to that server.
            var settings = exported.Where(e => !e.Key.StartsWith("HUB_TEST_", StringComparison.Ordinal))
                .Select(e => new KeyValuePair<string, string?>(e.Key, e.Value))
                .Append(new("S3_PREFIX", "dev/"))
                .ToList();
            Assert.Contains(settings, s => s.Key == "S3_BUCKET");
            string masterKey;
            await using (var hub = await HubServer.StartAsync(settings))
            {
                masterKey = hub.MasterKey;
                using var admin = hub.Http(hub.AdminToken);
                var response = await admin.PostAsync("/api/admin/backups", null);
                Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            }

            var options = BackupOptions.Read(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())!;
            var empty = Path.Combine(root, "reader");
            using var reader = new BackupService(options, new KeyRing(Convert.FromBase64String(masterKey)), empty, Path.Combine(empty, "CompanyHub.db"), NullLogger.Instance);
            var snapshots = (await reader.CatalogueAsync(CancellationToken.None)).ToList();
            Assert.NotEmpty(snapshots);
            Assert.All(snapshots, s => Assert.Null(s.Refused));

            // Stopped and started again (as scripts/test does): the snapshots are still there.
            await ServicesAsync("stop", root, port);
            await ServicesAsync("start", root, port);
            Assert.Equal(snapshots.Select(s => s.Id), (await reader.CatalogueAsync(CancellationToken.None)).Select(s => s.Id));

            // Asked to wipe: an empty bucket.
            await ServicesAsync("start", root, port, wipe: true);
            Assert.Empty(await reader.CatalogueAsync(CancellationToken.None));
        }
        finally
        {
            await ServicesAsync("stop", root, port);
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<string> ServicesAsync(string verb, string root, int port, bool wipe = false)
    {
        var start = new ProcessStartInfo(Path.Combine(HubChild.RepositoryRoot, "scripts", "services")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(verb);
        start.ArgumentList.Add("s3rver");
        start.Environment["HUB_S3_ROOT"] = root;
        start.Environment["HUB_S3_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment.Remove("HUB_S3_WIPE");
        if (wipe)
        {
            start.Environment["HUB_S3_WIPE"] = "1";
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"scripts/services {verb} s3rver failed: {await error}");
        return output;
    }

    /// <summary>The variables of <c>export NAME='value' ...</c> lines.</summary>
    private static Dictionary<string, string> Exports(string script) =>
        Assignment().Matches(script).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);

    [GeneratedRegex("([A-Za-z_][A-Za-z0-9_]*)='([^']*)'")]
    private static partial Regex Assignment();
}
