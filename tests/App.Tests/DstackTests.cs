using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Dstack;
using CompanyHub.Functions;
using CompanyHub.Integrations.Dstack;
using CompanyHub.Security;

namespace CompanyHub.Tests;

/// <summary>
/// The hub inside a dstack TEE, against a fake guest agent on a Unix socket: the root key from GetKey (MASTER_KEY still
/// wins), <c>GET /api/attestation</c> (its payload and report-data commitment, 400 on a bad nonce, 501 outside a TEE,
/// 502 when the agent fails), and a clear start-up error when the agent is down or answers wrongly.
/// </summary>
public sealed class DstackTests
{
    private const string Nonce = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    [Fact]
    public async Task Start_WithoutMasterKey_InsideTee_TakesTheRootKeyFromGetKey_AndNeverLogsIt()
    {
        using var socket = new TempSocketPath();
        await using var agent = await FakeDstack.StartAsync(socket.Path);
        await using var hub = await HubServer.StartAsync(InTee(socket.Path, withMasterKey: false));

        var rootKey = agent.KeyFor(DstackRootKeyProvider.KeyPath, DstackRootKeyProvider.KeyPurpose);
        var expected = new KeyRing(rootKey);
        using (var admin = hub.Http(expected.AdminToken))
        {
            Assert.Equal("admin", (await admin.GetFromJsonAsync<JsonObject>("/api/me"))!["role"]!.GetValue<string>());
        }

        using (var withMasterKeyToken = hub.Http(hub.AdminToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await withMasterKeyToken.GetAsync("/api/me")).StatusCode);
        }

        var call = Assert.Single(agent.RequestsTo("GetKey"));
        var body = JsonNode.Parse(call.Body)!;
        Assert.Equal("company-hub/root", body["path"]!.GetValue<string>());
        Assert.Equal("root-key", body["purpose"]!.GetValue<string>());
        Assert.False(File.Exists(Path.Combine(hub.Directory, "master.key")), "a key file was generated although the TEE gave the key");

        using var probe = new DstackGuestClient(DstackEndpoint.Socket(socket.Path));
        var source = new DstackRootKeyProvider(probe).Source;
        Assert.Equal($"the dstack guest agent at unix:{socket.Path} (GetKey path company-hub/root)", source);
        var logs = string.Join('\n', hub.Logs.Lines);
        foreach (var secret in new[] { Convert.ToHexString(rootKey), Convert.ToBase64String(rootKey), expected.AdminToken })
        {
            Assert.DoesNotContain(secret, logs, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Start_WithMasterKey_InsideTee_MasterKeyWins_AndTheAgentIsNotAskedForAKey()
    {
        await using var tee = await TeeHub.StartAsync();
        var (agent, hub) = (tee.Agent, tee.Hub);

        using var admin = hub.Http(hub.AdminToken);
        Assert.Equal("admin", (await admin.GetFromJsonAsync<JsonObject>("/api/me"))!["role"]!.GetValue<string>());
        Assert.Equal(0, agent.CallCount("GetKey"));
    }

    [Fact]
    public async Task Start_MovingFromTheTeeKeyToAMasterKey_TakesTheAgentsKeyAsThePreviousOne()
    {
        using var socket = new TempSocketPath();
        await using var agent = await FakeDstack.StartAsync(socket.Path);
        var settings = InTee(socket.Path);
        settings["MASTER_KEY_PREVIOUS"] = "dstack";
        await using var hub = await HubServer.StartAsync(settings);

        var keys = (KeyRing)hub.Services.GetService(typeof(KeyRing))!;
        Assert.Equal(new KeyRing(Convert.FromBase64String(hub.MasterKey)).KeyId, keys.KeyId);
        Assert.Equal(new KeyRing(agent.KeyFor(DstackRootKeyProvider.KeyPath, DstackRootKeyProvider.KeyPurpose)).KeyId, keys.Previous?.KeyId);

        // Without MASTER_KEY there is nothing to move to.
        var both = InTee(socket.Path, withMasterKey: false);
        both["MASTER_KEY_PREVIOUS"] = "dstack";
        Assert.Contains("needs MASTER_KEY set", Assert.Throws<KeyConfigurationException>(() => Build(both)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_SimulatorOverHttp_TakesTheRootKeyFromIt()
    {
        await using var agent = await FakeDstack.StartAsync(socketPath: null);
        await using var hub = await HubServer.StartAsync(InTee(agent.Url, withMasterKey: false));

        using var admin = hub.Http(new KeyRing(agent.KeyFor(DstackRootKeyProvider.KeyPath, DstackRootKeyProvider.KeyPurpose)).AdminToken);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/me")).StatusCode);
        Assert.Equal(1, agent.CallCount("GetKey"));
    }

    [Fact]
    public async Task Attestation_InsideTee_ReturnsAQuoteWhoseReportDataCommitsToTheNonceAndTheHub()
    {
        await using var tee = await TeeHub.StartAsync();
        var (agent, hub) = (tee.Agent, tee.Hub);
        using var http = hub.Http();

        var response = await http.GetAsync($"/api/attestation?nonce={Nonce.ToUpperInvariant()}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        // Recomputed here from the documented recipe, independently of the hub's code.
        var hubId = Convert.ToHexStringLower(HKDF.DeriveKey(HashAlgorithmName.SHA256, Convert.FromBase64String(hub.MasterKey), 32, [], Encoding.UTF8.GetBytes("hub-identity")));
        var expected = SHA512.HashData(Encoding.UTF8.GetBytes($"company-hub-attestation/v1\n{Nonce}\n{hub.BaseUrl}\n{hubId}"));
        Assert.Equal(Convert.ToHexStringLower(expected), body["reportData"]!.GetValue<string>());
        Assert.Equal(expected, FakeDstack.ReportDataOf(body["quote"]!.GetValue<string>()));
        Assert.Equal(Convert.ToHexStringLower(expected), JsonNode.Parse(Assert.Single(agent.RequestsTo("GetQuote")).Body)!["report_data"]!.GetValue<string>());

        var inputs = body["reportDataInputs"]!;
        Assert.Equal("company-hub-attestation/v1", inputs["scheme"]!.GetValue<string>());
        Assert.Equal(Nonce, inputs["nonce"]!.GetValue<string>());
        Assert.Equal(hub.BaseUrl, inputs["publicBaseUrl"]!.GetValue<string>());
        Assert.Equal(hubId, inputs["hubId"]!.GetValue<string>());

        Assert.Equal(agent.AppId, body["appId"]!.GetValue<string>());
        Assert.Equal(agent.InstanceId, body["instanceId"]!.GetValue<string>());
        Assert.Equal(agent.ComposeHash, body["composeHash"]!.GetValue<string>());
        Assert.Equal("compose-hash", body["eventLog"]!.AsArray()[0]!["event"]!.GetValue<string>());
        Assert.Equal(agent.ComposeHash, body["info"]!["tcb_info"]!["compose_hash"]!.GetValue<string>());
        Assert.Equal(2, body["vmConfig"]!["cpu_count"]!.GetValue<int>());

        // Another nonce, another commitment: a recorded answer cannot be replayed for a fresh challenge.
        var other = (await http.GetFromJsonAsync<JsonObject>("/api/attestation?nonce=ffeeddccbbaa99887766554433221100"))!;
        Assert.NotEqual(body["reportData"]!.GetValue<string>(), other["reportData"]!.GetValue<string>());
    }

    [Fact]
    public async Task Attestation_OutsideTee_Answers501_WithAPlainExplanation()
    {
        await using var hub = await HubServer.StartAsync([new(DstackEndpoint.SocketPathSetting, Path.Combine(Path.GetTempPath(), "no-dstack-here.sock"))]);
        using var http = hub.Http();

        var response = await http.GetAsync($"/api/attestation?nonce={Nonce}");

        Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(501, problem["status"]!.GetValue<int>());
        Assert.Contains("does not run inside a TEE", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attestation_BadNonce_Answers400_AndAsksTheAgentForNothing()
    {
        await using var tee = await TeeHub.StartAsync();
        var (agent, hub) = (tee.Agent, tee.Hub);
        using var http = hub.Http();

        var cases = new Dictionary<string, string>
        {
            ["/api/attestation"] = "required",
            ["/api/attestation?nonce="] = "required",
            ["/api/attestation?nonce=not-hex-at-all-0123"] = "hex digits only",
            ["/api/attestation?nonce=0011223344"] = "at least 16",
            ["/api/attestation?nonce=00112233445566778"] = "even number",
            [$"/api/attestation?nonce={new string('a', 130)}"] = "at most 128",
            [$"/api/attestation?nonce={Nonce}&nonce={Nonce}"] = "once",
        };
        foreach (var (url, reason) in cases)
        {
            var response = await http.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{url}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(reason, (await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.Equal(0, agent.CallCount("GetQuote"));
    }

    [Fact]
    public async Task Attestation_AgentFailsOrQuotesOtherData_Answers502()
    {
        await using var tee = await TeeHub.StartAsync();
        var (agent, hub) = (tee.Agent, tee.Hub);
        using var http = hub.Http();

        agent.FailNext(1, 500, "quote generation failed", endpoint: "GetQuote");
        var failed = await http.GetAsync($"/api/attestation?nonce={Nonce}");
        Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        Assert.Contains("quote generation failed", (await failed.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/attestation?nonce={Nonce}")).StatusCode);

        agent.QuoteOtherReportData = true;
        var other = await http.GetAsync($"/api/attestation?nonce={Nonce}");
        Assert.Equal(HttpStatusCode.BadGateway, other.StatusCode);
        Assert.Contains("other report data", (await other.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attestation_IsRateLimitedPerAddress()
    {
        await using var tee = await TeeHub.StartAsync();
        var limit = AttestationRequestLimiter.PermitLimit;
        AttestationRequestLimiter.PermitLimit = 3; // read when the address's first request creates its window
        try
        {
            using var http = tee.Hub.Http();
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/attestation?nonce={Nonce}")).StatusCode);
            }

            var refused = await http.GetAsync($"/api/attestation?nonce={Nonce}");
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.Equal(3, tee.Agent.CallCount("GetQuote"));
        }
        finally
        {
            AttestationRequestLimiter.PermitLimit = limit;
        }
    }

    [Fact]
    public void Start_AgentSocketPresentButNobodyListens_StopsWithAClearError()
    {
        using var socket = new TempSocketPath();
        // Bound but not listening: the socket file is there, every connection is refused (an agent that died).
        using var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        dead.Bind(new UnixDomainSocketEndPoint(socket.Path));

        var error = Assert.Throws<KeyConfigurationException>(() => Build(InTee(socket.Path, withMasterKey: false)));

        Assert.Contains("dstack guest agent", error.Message, StringComparison.Ordinal);
        Assert.Contains(socket.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("set MASTER_KEY", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_AgentAnswersWrongly_StopsWithAClearError_ThatQuotesNoKey()
    {
        using var socket = new TempSocketPath();
        await using var agent = await FakeDstack.StartAsync(socket.Path);

        agent.FailAlways(500, "kms unreachable", endpoint: "GetKey");
        var refused = Assert.Throws<KeyConfigurationException>(() => Build(InTee(socket.Path, withMasterKey: false)));
        Assert.Contains("HTTP 500", refused.Message, StringComparison.Ordinal);
        Assert.Contains("kms unreachable", refused.Message, StringComparison.Ordinal);
        agent.ClearFailures();

        agent.KeyOverride = "00ff00ff";
        var tooShort = Assert.Throws<KeyConfigurationException>(() => Build(InTee(socket.Path, withMasterKey: false)));
        Assert.Contains("4 bytes", tooShort.Message, StringComparison.Ordinal);

        agent.KeyOverride = "zz" + new string('a', 62);
        var notHex = Assert.Throws<KeyConfigurationException>(() => Build(InTee(socket.Path, withMasterKey: false)));
        Assert.Contains("'key' is not hex", notHex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(agent.KeyOverride, notHex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_SimulatorSettingNamesAMissingSocket_StopsWithAClearError()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"hub-no-agent-{Guid.NewGuid():N}.sock");

        var error = Assert.Throws<KeyConfigurationException>(() => Build(InTee(missing, withMasterKey: false)));

        Assert.Contains("DSTACK_SIMULATOR_ENDPOINT", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Settings that point the hub at the agent; <paramref name="withMasterKey"/> false removes MASTER_KEY.</summary>
    private static Dictionary<string, string?> InTee(string endpoint, bool withMasterKey = true)
    {
        var settings = new Dictionary<string, string?> { [DstackEndpoint.SimulatorSetting] = endpoint };
        if (!withMasterKey)
        {
            settings["MASTER_KEY"] = null;
        }

        return settings;
    }

    private static void Build(Dictionary<string, string?> settings)
    {
        var directory = Path.Combine(Path.GetTempPath(), "hub-server-tests", Guid.NewGuid().ToString("N"));
        var args = settings.Where(kv => kv.Value is not null).Select(kv => $"--{kv.Key}={kv.Value}")
            .Concat([$"--Host:DataDirectory={directory}", "--urls=http://127.0.0.1:0", "--MASTER_KEY="]).ToArray();
        var app = CompanyHubApp.Build(args);
        ((IDisposable)app).Dispose();
    }

    /// <summary>A hub with MASTER_KEY inside a "TEE": a fake guest agent on a fresh Unix socket.</summary>
    private sealed class TeeHub : IAsyncDisposable
    {
        private readonly TempSocketPath _socket;

        private TeeHub(TempSocketPath socket, FakeDstack agent, HubServer hub)
        {
            _socket = socket;
            Agent = agent;
            Hub = hub;
        }

        public FakeDstack Agent { get; }

        public HubServer Hub { get; }

        public static async Task<TeeHub> StartAsync()
        {
            var socket = new TempSocketPath();
            var agent = await FakeDstack.StartAsync(socket.Path);
            return new TeeHub(socket, agent, await HubServer.StartAsync(InTee(socket.Path)));
        }

        public async ValueTask DisposeAsync()
        {
            await Hub.DisposeAsync();
            await Agent.DisposeAsync();
            _socket.Dispose();
        }
    }

    /// <summary>A short socket path under /tmp (Unix socket paths are limited to about 100 bytes), removed at the end.</summary>
    private sealed class TempSocketPath : IDisposable
    {
        public string Path { get; } = $"/tmp/hub-dstack-{Guid.NewGuid():N}"[..26] + ".sock";

        public void Dispose() => File.Delete(Path);
    }
}
