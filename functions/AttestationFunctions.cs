using System.Text.Json.Nodes;
using CompanyHub.Integrations.Dstack;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Azure.Functions.Worker;

namespace CompanyHub.Functions;

/// <summary>
/// The hub proves where it runs: a TDX quote from the dstack guest agent whose report data commits to the caller's
/// nonce and the hub's identity (<see cref="AttestationReportData"/>), with the app's id and compose hash. Public: a
/// person checks it before signing in.
/// </summary>
public sealed class AttestationFunctions(TeeEnvironment tee, KeyRing keys, IOptions<HubOptions> options, AttestationRequestLimiter limiter)
{
    [Function("Attestation")]
    public async Task<IResult> Attestation(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "attestation")] HttpRequest req, CancellationToken cancellationToken)
    {
        req.HttpContext.Response.Headers.CacheControl = "no-store";
        if (!limiter.TryAcquire(TokenAuthenticator.AddressOf(req.HttpContext), out var retryAfter))
        {
            return Problems.TooManyRequests(req.HttpContext.Response, retryAfter, "Too many attestation requests from this address; try again in a minute.");
        }

        if (req.Query["nonce"].Count > 1)
        {
            return Problems.BadRequest("Give 'nonce' once.");
        }

        if (!AttestationReportData.TryNormalizeNonce(req.Query["nonce"].ToString(), out var nonce, out var error))
        {
            return Problems.BadRequest(error);
        }

        if (tee.Agent is not { } agent)
        {
            return Results.Problem(statusCode: StatusCodes.Status501NotImplemented, title: "Not Running in a TEE",
                detail: "This hub does not run inside a TEE (no dstack guest agent at /var/run/dstack.sock), so it has no hardware quote to show. Do not trust it with your Google account as if it were the confidential deployment.");
        }

        var publicBaseUrl = options.Value.PublicBaseUrl.TrimEnd('/');
        var reportData = AttestationReportData.Compute(nonce, publicBaseUrl, keys.HubId);
        var reportHex = Convert.ToHexStringLower(reportData);
        DstackQuote quote;
        DstackInfo info;
        try
        {
            quote = await agent.GetQuoteAsync(reportData, cancellationToken);
            info = await agent.GetInfoAsync(cancellationToken);
        }
        catch (DstackException ex)
        {
            return BadGateway($"The TEE's guest agent gave no attestation: {ex.Message}");
        }

        if (quote.ReportData is { Length: > 0 } quoted && quoted != reportHex)
        {
            return BadGateway("The TEE's guest agent quoted other report data than the hub asked for; the quote proves nothing about this request.");
        }

        return Results.Ok(new JsonObject
        {
            ["quote"] = quote.Quote,
            ["reportData"] = reportHex,
            ["reportDataInputs"] = new JsonObject
            {
                ["scheme"] = AttestationReportData.Scheme,
                ["nonce"] = nonce,
                ["publicBaseUrl"] = publicBaseUrl,
                ["hubId"] = keys.HubId,
                ["hash"] = "sha512(scheme + \"\\n\" + nonce + \"\\n\" + publicBaseUrl + \"\\n\" + hubId)",
            },
            ["eventLog"] = quote.EventLog.Length == 0 ? null : DstackGuestClient.TryParseJson(quote.EventLog) ?? JsonValue.Create(quote.EventLog),
            ["vmConfig"] = quote.VmConfig is { Length: > 0 } vm ? DstackGuestClient.TryParseJson(vm) ?? JsonValue.Create(vm) : null,
            ["appId"] = info.AppId,
            ["instanceId"] = info.InstanceId,
            ["composeHash"] = info.ComposeHash,
            ["appName"] = info.AppName,
            ["info"] = info.Fields,
        });
    }

    private static IResult BadGateway(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Bad Gateway", detail: detail);
}
