using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace CompanyHub.Integrations.Google;

/// <summary>Proof Key for Code Exchange (RFC 7636) with the S256 method.</summary>
public static class Pkce
{
    /// <summary>Creates a new code verifier: 32 random bytes as base64url, 43 characters.</summary>
    public static string CreateVerifier() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>The S256 challenge of a verifier: base64url(SHA-256(ASCII(verifier))).</summary>
    public static string ComputeChallenge(string codeVerifier)
    {
        ArgumentException.ThrowIfNullOrEmpty(codeVerifier);
        if (codeVerifier.Length is < 43 or > 128)
        {
            throw new ArgumentException("A PKCE code verifier has 43 to 128 characters (RFC 7636 §4.1).", nameof(codeVerifier));
        }

        return Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(codeVerifier)));
    }
}
