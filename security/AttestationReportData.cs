using System.Security.Cryptography;
using System.Text;

namespace CompanyHub.Security;

/// <summary>
/// What the TDX quote of <c>GET /api/attestation</c> commits to: 64 bytes of report data =
/// SHA-512 of the UTF-8 text <c>"company-hub-attestation/v1\n" + nonce + "\n" + publicBaseUrl + "\n" + hubId</c>
/// (nonce in lowercase hex as the caller sent it, the public base URL without a trailing slash, the hub id in lowercase
/// hex; none can hold a line break, so the text reads back one way only). A verifier recomputes it with
/// <c>printf '%s\n%s\n%s\n%s' company-hub-attestation/v1 "$nonce" "$url" "$hubId" | sha512sum</c> (docs/deploy.md).
/// </summary>
public static class AttestationReportData
{
    /// <summary>The domain-separation tag: no other quote of this app starts its report data's preimage so.</summary>
    public const string Scheme = "company-hub-attestation/v1";

    /// <summary>The fewest hex digits a nonce has (8 bytes: a verifier's fresh random value).</summary>
    public const int MinNonceHexDigits = 16;

    /// <summary>The most hex digits a nonce has (64 bytes).</summary>
    public const int MaxNonceHexDigits = 128;

    /// <summary>The text that is hashed.</summary>
    public static string Preimage(string nonce, string publicBaseUrl, string hubId) => $"{Scheme}\n{nonce}\n{publicBaseUrl}\n{hubId}";

    /// <summary>The 64 bytes of report data.</summary>
    public static byte[] Compute(string nonce, string publicBaseUrl, string hubId) =>
        SHA512.HashData(Encoding.UTF8.GetBytes(Preimage(nonce, publicBaseUrl, hubId)));

    /// <summary>Checks a nonce from a request: hex, an even number of digits, 16 to 128 of them. Returns it in lowercase, or the reason it is refused.</summary>
    public static bool TryNormalizeNonce(string? value, out string nonce, out string error)
    {
        nonce = "";
        if (string.IsNullOrEmpty(value))
        {
            error = $"The query parameter 'nonce' is required: a fresh random value in hex, {MinNonceHexDigits} to {MaxNonceHexDigits} digits (e.g. openssl rand -hex 32).";
            return false;
        }

        if (value.Length > MaxNonceHexDigits)
        {
            error = $"'nonce' has {value.Length} characters; at most {MaxNonceHexDigits} hex digits (64 bytes) are accepted.";
            return false;
        }

        if (!value.All(char.IsAsciiHexDigit))
        {
            error = "'nonce' must be hex digits only (0-9, a-f).";
            return false;
        }

        if (value.Length < MinNonceHexDigits || value.Length % 2 != 0)
        {
            error = $"'nonce' has {value.Length} hex digits; it needs an even number, at least {MinNonceHexDigits} (8 bytes).";
            return false;
        }

        nonce = value.ToLowerInvariant();
        error = "";
        return true;
    }
}
