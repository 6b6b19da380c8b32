using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Google;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace CompanyHub.Tests;

/// <summary>
/// A full run — sender connected, a person onboarded with Google (refresh token and all), a token rotated, an email
/// proposed, approved and sent through Gmail — then every secret that run used is looked for in the hub's log lines and
/// in the bytes of every file of its data directory (the SQLite stores with their -wal files, the audit log, ...), and,
/// with an email's body too, in a scrape of <c>/metrics</c> and in every byte the hub exported to a (fake) OTLP collector.
/// </summary>
public sealed class SecretLeakTests
{
    private const string Alice = "alice@company.com";
    private const string Bob = "bob@company.com";

    [Theory]
    [InlineData("host.json levels")]
    [InlineData("everything at Trace")]
    public async Task FullRun_NoSecretInTheLogsOrTheDataDirectory(string logging)
    {
        KeyValuePair<string, string?>[] levels = logging == "host.json levels" ? [] :
            [new("Logging:LogLevel:Default", "Trace"), new("Logging:LogLevel:Microsoft", "Trace"), new("Logging:LogLevel:Microsoft.AspNetCore", "Trace"), new("Logging:LogLevel:System", "Trace"), new("Logging:LogLevel:Serverless.DurableTask", "Trace"),
             new($"Logging:{typeof(CapturedLogs).FullName}:LogLevel:Default", "Trace"), new($"Logging:{typeof(CapturedLogs).FullName}:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics", "Trace")];
        await using var collector = await FakeCollector.StartAsync();
        var g = await GoogleHub.StartAsync([.. levels, .. collector.Settings()], Alice, Bob);
        var stopped = false;
        try
        {
            await g.ConnectSenderAsync();

            // Alice: invited by the admin, signs in with Google, rotates her token, has an email sent for her.
            var onboardingId = await g.InviteAsync(Alice, "Alice");
            await HubFlows.WaitForStepAsync(g.Hub, onboardingId, "InviteSent");
            var aliceCode = g.InviteCodeFromEmail(Alice);
            var (status, html) = await g.SignInAsync(aliceCode);
            Assert.True(status == HttpStatusCode.OK, html);
            var firstToken = GoogleHub.TokenIn(html);
            using var aliceFirst = g.Hub.Http(firstToken);
            using var rotated = await aliceFirst.PostAsync("/api/agents/alice-company-com/token/rotate", null);
            var aliceToken = (await rotated.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
            using var browser = g.Hub.Http();
            Assert.Equal(HttpStatusCode.SeeOther, (await browser.GetAsync($"/?token={aliceToken}")).StatusCode);

            using var alice = g.Hub.Http(aliceToken);
            var emailBody = $"The merger closes on Friday, code word {Guid.NewGuid():N}.";
            var proposalId = await AccessControlTests.ProposeGmailAsync(alice, "alice-company-com", emailBody);
            using (var approved = await alice.PostAsJsonAsync($"/api/proposals/{proposalId}/decision", new { decision = "approve", revision = 1 }))
            {
                Assert.Equal(HttpStatusCode.Accepted, approved.StatusCode);
            }

            JsonObject? proposal = null;
            await HubFlows.WaitUntilAsync(async () => (proposal = await alice.GetFromJsonAsync<JsonObject>($"/api/proposals/{proposalId}"))!["status"]!.GetValue<string>() is "succeeded" or "failed", () => $"the proposal to run: {proposal}");
            Assert.Equal("succeeded", proposal!["status"]!.GetValue<string>());
            var sent = g.Google.SentEmails.Single(m => m.Account == Alice);
            Assert.Equal(new[] { "carol@example.com" }, sent.To);

            // Bob: asks for himself and is refused once (he signs in with the wrong account).
            var bobCode = await OnboardingGoogleTests.RequestInviteCodeAsync(g.Hub, Bob);
            Assert.Equal(HttpStatusCode.Forbidden, (await g.SignInAsync(bobCode, account: Alice)).Status);

            using var admin = g.Hub.Http(g.Hub.AdminToken);

            // Every secret of the run, as the outside world saw it.
            var secrets = new Dictionary<string, string>
            {
                ["admin token"] = g.Hub.AdminToken,
                ["master key"] = g.Hub.MasterKey,
                ["first user token"] = firstToken,
                ["rotated user token"] = aliceToken,
                ["invite code (admin path)"] = aliceCode,
                ["invite code (user path)"] = bobCode,
                ["Google client secret"] = g.Google.ClientSecret,
            };
            var tokenRequests = g.Google.RequestsTo(GoogleEndpoints.Token).Select(r => r.Form()).ToList();
            Add(secrets, "OAuth code", tokenRequests.Where(f => f["grant_type"] == "authorization_code").Select(f => f["code"]));
            Add(secrets, "PKCE verifier", tokenRequests.Where(f => f["grant_type"] == "authorization_code").Select(f => f["code_verifier"]));
            Add(secrets, "refresh token", tokenRequests.Where(f => f["grant_type"] == "refresh_token").Select(f => f["refresh_token"]));
            Add(secrets, "access token", g.Google.Requests.Select(r => r.Header("Authorization")).OfType<string>().Where(h => h.StartsWith("Bearer ", StringComparison.Ordinal)).Select(h => h[7..]));
            Add(secrets, "sign-in cookie nonce", g.SignInNonces);
            Assert.True(secrets.Keys.Count(k => k.StartsWith("OAuth code", StringComparison.Ordinal)) >= 3, "the run should have redeemed three codes (sender, Alice, Bob)");
            Assert.True(secrets.Keys.Count(k => k.StartsWith("sign-in cookie nonce", StringComparison.Ordinal)) >= 3, "the run should have started three sign-ins (sender, Alice, Bob)");
            Assert.True(secrets.Keys.Count(k => k.StartsWith("refresh token", StringComparison.Ordinal)) >= 2, "the run should have used the sender's and Alice's refresh tokens");
            Assert.True(secrets.Keys.Count(k => k.StartsWith("access token", StringComparison.Ordinal)) >= 3);
            var rawMasterKey = Convert.FromBase64String(g.Hub.MasterKey);

            var logs = g.Hub.Logs.Lines.ToArray();
            Assert.True(logs.Length > 20, "the hub should have logged the run");
            if (levels.Length > 0)
            {
                // The raised levels took effect (the framework talks at Debug), yet the request-URL categories stay quiet.
                Assert.Contains(logs, l => l.StartsWith("Debug Microsoft.AspNetCore.", StringComparison.Ordinal));
                Assert.DoesNotContain(logs, l => l.Contains("Request starting", StringComparison.Ordinal));
            }

            var findings = new List<string>();
            foreach (var (name, secret) in secrets)
            {
                findings.AddRange(logs.Where(l => l.Contains(secret, StringComparison.Ordinal)).Select(l => $"{name} in the log: {l}"));
            }

            // The scans can see: what is not secret is found in the clear in the same places.
            Assert.Contains(logs, l => l.Contains(onboardingId, StringComparison.Ordinal));
            Assert.Contains(logs, l => l.Contains(proposalId, StringComparison.Ordinal));
            var agentEntity = await admin.GetStringAsync("/runtime/webhooks/durabletask/entities/agent/alice-company-com");
            var sealedRefresh = agentEntity.Split('"').FirstOrDefault(v => v.StartsWith("sb1.", StringComparison.Ordinal));
            Assert.NotNull(sealedRefresh);
            var visible = new Dictionary<string, string> { ["agent id"] = "alice-company-com", ["proposal subject"] = "Quarterly numbers", ["sealed refresh token"] = sealedRefresh };
            Assert.Equal(visible.Count, ScanDirectory(g.Hub.Directory, visible, [], running: true).Select(f => f[..f.IndexOf(" in ", StringComparison.Ordinal)]).Distinct().Count());

            findings.AddRange(ScanDirectory(g.Hub.Directory, secrets, rawMasterKey, running: true));

            // Telemetry: the admin's scrape and the spans exported. The scans can see: names and ids are there in the clear.
            var scrape = await admin.GetStringAsync("/metrics");
            Assert.Contains("companyhub_proposals_executed_total", scrape, StringComparison.Ordinal);
            await collector.FlushAsync(g.Hub, spans => spans.Any(s => s.Attribute("durabletask.task.instance_id") == proposalId));
            var exported = collector.Bodies;
            Assert.Contains(collector.Spans, s => s.Attribute("http.route") == "/invite/{code}");
            Assert.Contains(collector.Spans, s => s.Attribute("url.full") is { } url && url.StartsWith(g.Google.Url, StringComparison.Ordinal));
            var telemetrySecrets = new Dictionary<string, string>(secrets) { ["email body"] = emailBody };
            foreach (var (name, secret) in telemetrySecrets)
            {
                var bytes = Encoding.UTF8.GetBytes(secret);
                findings.AddRange(scrape.Contains(secret, StringComparison.Ordinal) ? [$"{name} in /metrics"] : []);
                findings.AddRange(exported.Where(b => b.AsSpan().IndexOf(bytes) >= 0).Select(_ => $"{name} in an OTLP export"));
                findings.AddRange(collector.Spans.SelectMany(span => span.Attributes.Where(a => a.Value.Contains(secret, StringComparison.Ordinal)).Select(a => $"{name} in span {span.Name} ({span.Scope}), {a.Key}"))
                    .Concat(collector.Spans.Where(span => span.Name.Contains(secret, StringComparison.Ordinal)).Select(span => $"{name} in the name of span {span.Name} ({span.Scope})")));
            }

            var directory = g.Hub.Directory;
            stopped = true;
            await g.DisposeAsync();
            findings.AddRange(ScanDirectory(directory, secrets, rawMasterKey, running: false));

            Assert.True(findings.Count == 0, string.Join(Environment.NewLine, findings.Distinct()));
        }
        finally
        {
            if (!stopped)
            {
                await g.DisposeAsync();
            }
        }
    }

    private static void Add(Dictionary<string, string> secrets, string kind, IEnumerable<string> values)
    {
        foreach (var (value, i) in values.Distinct().Select((v, i) => (v, i)))
        {
            Assert.False(string.IsNullOrEmpty(value));
            secrets[$"{kind} #{i + 1}"] = value;
        }
    }

    private static List<string> ScanDirectory(string directory, Dictionary<string, string> secrets, byte[] rawMasterKey, bool running)
    {
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).ToList();
        Assert.Contains(files, f => f.EndsWith(".db", StringComparison.Ordinal));
        if (running)
        {
            Assert.Contains(files, f => f.EndsWith("-wal", StringComparison.Ordinal));
        }

        var findings = new List<string>();
        foreach (var file in files)
        {
            byte[] bytes;
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                bytes = copy.ToArray();
            }
            catch (IOException) when (running && file.EndsWith(".lock", StringComparison.Ordinal))
            {
                // The store's single-host lock is held while the hub runs; it is scanned after the stop.
                continue;
            }

            foreach (var (name, secret) in secrets)
            {
                if (bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) >= 0 || bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(secret)) >= 0)
                {
                    findings.Add($"{name} in {Path.GetFileName(file)}");
                }
            }

            if (rawMasterKey.Length > 0 && bytes.AsSpan().IndexOf(rawMasterKey) >= 0)
            {
                findings.Add($"the raw master key in {Path.GetFileName(file)}");
            }
        }

        return findings;
    }
}
