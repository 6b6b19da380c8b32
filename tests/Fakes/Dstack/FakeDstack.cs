using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CompanyHub.Fakes.Dstack;

/// <summary>
/// A fake of the dstack guest agent: its RPC surface (<c>POST /GetKey</c>, <c>/GetQuote</c>, <c>/Info</c>; JSON bodies,
/// bytes as hex, errors as <c>{"error": "..."}</c>) on a Unix domain socket as inside a CVM, or on 127.0.0.1 as a
/// simulator. Keys are HMAC-SHA256 of the path and purpose under a per-fake app secret; quotes are TDX v4-shaped (48-byte
/// header, 584-byte TD report body whose last 64 bytes are the report data) but carry no signature.
/// </summary>
public sealed class FakeDstack : FakeServer
{
    /// <summary>Offset of the report data in a TDX v4 quote: header (48) + the TD report body up to its last 64 bytes (520).</summary>
    public const int QuoteReportDataOffset = 568;

    private const int QuoteHeaderLength = 48;
    private const int TdReportBodyLength = 584;
    private readonly byte[] _appSecret = RandomNumberGenerator.GetBytes(32);

    private FakeDstack()
    {
    }

    /// <summary>Gets the app id (40 hex digits) the fake answers in <c>Info</c>.</summary>
    public string AppId { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    /// <summary>Gets the instance id (40 hex digits).</summary>
    public string InstanceId { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    /// <summary>Gets the compose hash (64 hex digits).</summary>
    public string ComposeHash { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>Gets or sets a <c>key</c> value answered instead of the derived key (to test an agent that answers wrongly).</summary>
    public string? KeyOverride { get; set; }

    /// <summary>Gets or sets whether <c>GetQuote</c> quotes other report data than it was asked for (a misbehaving agent).</summary>
    public bool QuoteOtherReportData { get; set; }

    /// <summary>Starts the fake on <paramref name="socketPath"/> (a Unix socket), or on a free port of 127.0.0.1 when null.</summary>
    public static async Task<FakeDstack> StartAsync(string? socketPath, CancellationToken cancellationToken = default)
    {
        var fake = new FakeDstack();
        await fake.StartServerAsync(cancellationToken, socketPath);
        return fake;
    }

    /// <summary>The key <c>GetKey</c> answers for a path and purpose.</summary>
    public byte[] KeyFor(string path, string purpose) => HMACSHA256.HashData(_appSecret, Encoding.UTF8.GetBytes(path + "\0" + purpose));

    /// <summary>Reads the report data out of a quote the way a verifier does (bytes 568..632 of a TDX v4 quote).</summary>
    public static byte[] ReportDataOf(string quoteHex) => Convert.FromHexString(quoteHex).AsSpan(QuoteReportDataOffset, 64).ToArray();

    protected override void MapRoutes(WebApplication app)
    {
        app.MapPost("/GetKey", (Delegate)GetKeyAsync).WithName("GetKey");
        app.MapPost("/GetQuote", (Delegate)GetQuoteAsync).WithName("GetQuote");
        app.MapPost("/Info", Info).WithName("Info");
    }

    protected override JsonObject ErrorBody(string endpoint, int statusCode, string message, string? code = null) => new() { ["error"] = message };

    private static async Task<JsonObject?> BodyAsync(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<IResult> GetKeyAsync(HttpContext context)
    {
        var body = await BodyAsync(context);
        if (body is null)
        {
            return Error(context, 400, "invalid JSON body");
        }

        var algorithm = body["algorithm"]?.GetValue<string>() ?? "";
        if (algorithm is not ("" or "secp256k1" or "k256"))
        {
            return Json(new JsonObject { ["error"] = $"unsupported algorithm: {algorithm}" });
        }

        var key = KeyFor(body["path"]?.GetValue<string>() ?? "", body["purpose"]?.GetValue<string>() ?? "");
        return Json(new JsonObject
        {
            ["key"] = KeyOverride ?? Convert.ToHexStringLower(key),
            ["signature_chain"] = new JsonArray(Convert.ToHexStringLower(HMACSHA256.HashData(_appSecret, key)), Convert.ToHexStringLower(SHA256.HashData(_appSecret))),
        });
    }

    private async Task<IResult> GetQuoteAsync(HttpContext context)
    {
        var body = await BodyAsync(context);
        var hex = body?["report_data"]?.GetValue<string>();
        if (hex is null || hex.Length % 2 != 0 || !hex.All(char.IsAsciiHexDigit))
        {
            return Error(context, 400, "report_data must be hex");
        }

        if (hex.Length > 128)
        {
            // The agent pads short report data and refuses long data.
            return Json(new JsonObject { ["error"] = "Report data is too large, it should be at most 64 bytes" });
        }

        var reportData = new byte[64];
        Convert.FromHexString(hex).CopyTo(reportData, 0);
        if (QuoteOtherReportData)
        {
            reportData[0] ^= 0xff;
        }

        var quote = new byte[QuoteHeaderLength + TdReportBodyLength];
        BinaryPrimitives.WriteUInt16LittleEndian(quote, 4);            // version 4
        BinaryPrimitives.WriteUInt16LittleEndian(quote.AsSpan(2), 2);  // ECDSA-256 attestation key
        BinaryPrimitives.WriteUInt32LittleEndian(quote.AsSpan(4), 0x81); // TEE type: TDX
        HMACSHA256.HashData(_appSecret, Encoding.UTF8.GetBytes("mrtd")).CopyTo(quote, QuoteHeaderLength + 136);
        reportData.CopyTo(quote, QuoteReportDataOffset);
        var eventLog = new JsonArray(
            new JsonObject { ["imr"] = 3, ["event_type"] = 134217729, ["digest"] = Convert.ToHexStringLower(SHA384.HashData(Encoding.UTF8.GetBytes(ComposeHash))), ["event"] = "compose-hash", ["event_payload"] = ComposeHash },
            new JsonObject { ["imr"] = 3, ["event_type"] = 134217729, ["digest"] = Convert.ToHexStringLower(SHA384.HashData(Encoding.UTF8.GetBytes(InstanceId))), ["event"] = "instance-id", ["event_payload"] = InstanceId });
        return Json(new JsonObject
        {
            ["quote"] = Convert.ToHexStringLower(quote),
            ["event_log"] = eventLog.ToJsonString(),
            ["report_data"] = Convert.ToHexStringLower(reportData),
            ["vm_config"] = new JsonObject { ["spec_version"] = 1, ["cpu_count"] = 2, ["memory_size"] = 4294967296 }.ToJsonString(),
        });
    }

    private IResult Info()
    {
        var tcbInfo = new JsonObject
        {
            ["mrtd"] = Convert.ToHexStringLower(HMACSHA256.HashData(_appSecret, Encoding.UTF8.GetBytes("mrtd"))),
            ["rtmr0"] = new string('0', 96),
            ["rtmr1"] = new string('1', 96),
            ["rtmr2"] = new string('2', 96),
            ["rtmr3"] = new string('3', 96),
            ["compose_hash"] = ComposeHash,
            ["app_compose"] = "{\"manifest_version\":2,\"name\":\"company-hub\",\"runner\":\"docker-compose\"}",
            ["event_log"] = new JsonArray(),
        };
        return Json(new JsonObject
        {
            ["app_id"] = AppId,
            ["instance_id"] = InstanceId,
            ["app_cert"] = "",
            ["tcb_info"] = tcbInfo.ToJsonString(),
            ["app_name"] = "company-hub",
            ["device_id"] = new string('d', 64),
            ["key_provider_info"] = "{\"name\":\"kms\",\"id\":\"fake\"}",
            ["compose_hash"] = ComposeHash,
        });
    }
}
