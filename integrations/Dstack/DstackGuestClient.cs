using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;

namespace CompanyHub.Integrations.Dstack;

/// <summary>
/// Where the dstack guest agent answers: its Unix socket inside a Phala CVM (<c>/var/run/dstack.sock</c>, mounted
/// by docker-compose.yml), or the endpoint named by <c>DSTACK_SIMULATOR_ENDPOINT</c> (an http(s) URL or a socket
/// path), as the dstack SDKs do.
/// </summary>
public sealed class DstackEndpoint
{
    /// <summary>The guest agent's socket inside a dstack CVM.</summary>
    public const string DefaultSocketPath = "/var/run/dstack.sock";

    /// <summary>The setting the dstack SDKs read: an http(s) URL or a Unix socket path of a guest agent or its simulator.</summary>
    public const string SimulatorSetting = "DSTACK_SIMULATOR_ENDPOINT";

    /// <summary>The socket looked for when <see cref="SimulatorSetting"/> is not set (default <see cref="DefaultSocketPath"/>).</summary>
    public const string SocketPathSetting = "Dstack:SocketPath";

    private DstackEndpoint(string? socketPath, Uri? httpBase)
    {
        SocketPath = socketPath;
        HttpBase = httpBase;
    }

    /// <summary>Gets the Unix socket path, or null for an HTTP endpoint.</summary>
    public string? SocketPath { get; }

    /// <summary>Gets the base URL of an HTTP endpoint, or null for a Unix socket.</summary>
    public Uri? HttpBase { get; }

    /// <summary>Gets the endpoint as people write it (<c>unix:/var/run/dstack.sock</c> or the URL), for logs and messages.</summary>
    public string Description => SocketPath is not null ? "unix:" + SocketPath : HttpBase!.ToString();

    public static DstackEndpoint Socket(string path) => new(path, null);

    public static DstackEndpoint Http(Uri baseUrl) => new(null, baseUrl);

    /// <summary>
    /// Finds the guest agent: <see cref="SimulatorSetting"/> when set (its socket must exist), else the socket at
    /// <see cref="SocketPathSetting"/> when a non-directory file is there; null outside a TEE.
    /// </summary>
    /// <exception cref="DstackException"><see cref="SimulatorSetting"/> is neither an http(s) URL nor an existing socket.</exception>
    public static DstackEndpoint? Find(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration[SimulatorSetting] is { Length: > 0 } named)
        {
            named = named.Trim();
            if (named.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || named.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            {
                return Uri.TryCreate(named, UriKind.Absolute, out var url)
                    ? Http(url)
                    : throw new DstackException($"{SimulatorSetting} is not a valid URL (got '{named}').");
            }

            var path = named.StartsWith("unix:", StringComparison.Ordinal) ? named["unix:".Length..] : named;
            return File.Exists(path)
                ? Socket(path)
                : throw new DstackException($"{SimulatorSetting} names the socket {path}, which does not exist. Set it to the guest agent's socket path or http(s) URL, or remove it.");
        }

        // A bind mount of a socket the host does not have shows up as an empty directory: that is "not in a TEE".
        var socket = configuration[SocketPathSetting] is { Length: > 0 } configured ? configured : DefaultSocketPath;
        return File.Exists(socket) ? Socket(socket) : null;
    }
}

/// <summary>A key from the guest agent's <c>GetKey</c>: deterministic for the app, the path and the purpose.</summary>
/// <param name="Key">The derived key bytes (32 for secp256k1). Secret: never log it.</param>
/// <param name="SignatureChain">The signatures that chain the key to the app's root key and the KMS (hex).</param>
public sealed record DstackKey(byte[] Key, IReadOnlyList<string> SignatureChain);

/// <summary>A TDX quote from <c>GetQuote</c>.</summary>
/// <param name="Quote">The quote, hex.</param>
/// <param name="EventLog">The event log the agent gave (a JSON array as text), or empty.</param>
/// <param name="ReportData">The report data the quote carries as the agent reports it (hex), or null when it did not say.</param>
/// <param name="VmConfig">The VM configuration the agent gave (JSON text), or null.</param>
public sealed record DstackQuote(string Quote, string EventLog, string? ReportData, string? VmConfig);

/// <summary>The app's identity from <c>Info</c>.</summary>
/// <param name="AppId">The app id (hex), the first part of the app's public host name.</param>
/// <param name="InstanceId">This CVM instance's id (hex).</param>
/// <param name="ComposeHash">SHA-256 of the app compose (hex): which docker-compose.yml and settings were deployed.</param>
/// <param name="AppName">The app's name.</param>
/// <param name="Fields">Every field the agent answered, as it answered them (<c>tcb_info</c> parsed when it is JSON text).</param>
public sealed record DstackInfo(string AppId, string InstanceId, string ComposeHash, string AppName, JsonObject Fields);

/// <summary>The guest agent could not be reached or answered something other than what its protocol says.</summary>
public sealed class DstackException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A client of the dstack guest agent's RPC surface: JSON over HTTP POST to <c>/GetKey</c>, <c>/GetQuote</c> and
/// <c>/Info</c>, bytes as hex, errors as <c>{"error": "..."}</c>; over the Unix socket (a <see cref="SocketsHttpHandler"/>
/// whose connections go to the socket) or over HTTP for a simulator. Every failure is a <see cref="DstackException"/>
/// that says what happened, never a key.
/// </summary>
public sealed class DstackGuestClient : IDisposable
{
    /// <summary>The most report data a TDX quote carries.</summary>
    public const int MaxReportData = 64;

    private const int MaxQuotedError = 300;
    private readonly HttpClient _http;

    public DstackGuestClient(DstackEndpoint endpoint, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        Endpoint = endpoint;
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) };
        if (endpoint.SocketPath is { } path)
        {
            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        // Over the socket the host name is only what the Host header says; the agent does not look at it.
        var baseAddress = endpoint.HttpBase is { } url ? new Uri(url.ToString().TrimEnd('/') + "/") : new Uri("http://localhost/");
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("company-hub");
    }

    public DstackEndpoint Endpoint { get; }

    /// <summary>Derives the app's key for <paramref name="path"/> and <paramref name="purpose"/> (secp256k1, the agent's default).</summary>
    public async Task<DstackKey> GetKeyAsync(string path, string purpose, CancellationToken cancellationToken)
    {
        using var body = await CallAsync("GetKey", new JsonObject { ["path"] = path, ["purpose"] = purpose, ["algorithm"] = "secp256k1" }, cancellationToken);
        var root = body.RootElement;
        var key = Hex(root, "GetKey", "key", quoteValue: false);
        var chain = root.TryGetProperty("signature_chain", out var c) && c.ValueKind == JsonValueKind.Array
            ? c.EnumerateArray().Select(s => s.GetString() ?? "").ToArray()
            : [];
        return new DstackKey(key, chain);
    }

    /// <summary>Asks for a TDX quote over <paramref name="reportData"/> (at most 64 bytes; shorter data is zero-padded by the agent).</summary>
    public async Task<DstackQuote> GetQuoteAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken)
    {
        if (reportData.Length > MaxReportData)
        {
            throw new ArgumentOutOfRangeException(nameof(reportData), reportData.Length, $"Report data is at most {MaxReportData} bytes.");
        }

        using var body = await CallAsync("GetQuote", new JsonObject { ["report_data"] = Convert.ToHexStringLower(reportData.Span) }, cancellationToken);
        var root = body.RootElement;
        var quote = Text(root, "GetQuote", "quote") ?? throw Unexpected("GetQuote", "it has no quote");
        if (quote.Length == 0 || !IsHex(quote))
        {
            throw Unexpected("GetQuote", "the quote is not hex");
        }

        return new DstackQuote(quote.ToLowerInvariant(), Text(root, "GetQuote", "event_log") ?? "", Text(root, "GetQuote", "report_data")?.ToLowerInvariant(), Text(root, "GetQuote", "vm_config"));
    }

    /// <summary>Gets the app's identity: app id, instance id, compose hash and the TCB measurements.</summary>
    public async Task<DstackInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        using var body = await CallAsync("Info", new JsonObject(), cancellationToken);
        var fields = JsonNode.Parse(body.RootElement.GetRawText())!.AsObject();
        if (fields["tcb_info"] is JsonValue tcb && tcb.TryGetValue<string>(out var tcbText) && TryParseJson(tcbText) is { } parsed)
        {
            fields["tcb_info"] = parsed;
        }

        var root = body.RootElement;
        return new DstackInfo(
            Text(root, "Info", "app_id") ?? throw Unexpected("Info", "it has no app_id"),
            Text(root, "Info", "instance_id") ?? "",
            Text(root, "Info", "compose_hash") ?? "",
            Text(root, "Info", "app_name") ?? "",
            fields);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Parses JSON text, or null when it is not JSON.</summary>
    public static JsonNode? TryParseJson(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool IsHex(string text) => text.Length % 2 == 0 && text.All(char.IsAsciiHexDigit);

    private static string Quote(string text)
    {
        text = text.Trim();
        return text.Length == 0 ? "(empty body)" : text.Length > MaxQuotedError ? text[..MaxQuotedError] + "…" : text;
    }

    private static DstackException Unexpected(string method, string what) =>
        new($"The dstack guest agent answered {method} with something unexpected: {what}.");

    private static string? Text(JsonElement root, string method, string name) =>
        !root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw Unexpected(method, $"'{name}' is not a string");

    private static byte[] Hex(JsonElement root, string method, string name, bool quoteValue)
    {
        var text = Text(root, method, name);
        if (text is null || text.Length == 0 || !IsHex(text))
        {
            // The value may be a key: say what is wrong with it, never what it is.
            throw Unexpected(method, text is null ? $"it has no '{name}'" : quoteValue ? $"'{name}' is not hex ('{Quote(text)}')" : $"'{name}' is not hex");
        }

        return Convert.FromHexString(text);
    }

    private async Task<JsonDocument> CallAsync(string method, JsonObject payload, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, method)
        {
            Content = new StringContent(payload.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DstackException($"The dstack guest agent at {Endpoint.Description} did not answer {method} within {_http.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new DstackException($"Could not reach the dstack guest agent at {Endpoint.Description} ({method}): {ex.InnerException?.Message ?? ex.Message}", ex);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new DstackException($"The dstack guest agent at {Endpoint.Description} answered {method} with HTTP {(int)response.StatusCode}: {Quote(ErrorText(text) ?? text)}");
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(text);
            }
            catch (JsonException)
            {
                // Do not quote it: a successful GetKey answer carries a key.
                throw Unexpected(method, "the body is not JSON");
            }

            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw Unexpected(method, "the body is not a JSON object");
            }

            if (document.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String && e.GetString() is { } error)
            {
                document.Dispose();
                throw new DstackException($"The dstack guest agent at {Endpoint.Description} refused {method}: {Quote(error)}");
            }

            return document;
        }
    }

    /// <summary>The message of a prpc error body <c>{"error": "..."}</c>, or null.</summary>
    private static string? ErrorText(string body) =>
        TryParseJson(body) is JsonObject o && o["error"] is JsonValue e && e.TryGetValue<string>(out var message) ? message : null;
}
