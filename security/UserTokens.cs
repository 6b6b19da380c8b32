using System.Security.Cryptography;
using System.Text;

namespace CompanyHub.Security;

/// <summary>User tokens: 24 random bytes as base64url; only their SHA-256 hashes are stored.</summary>
public static class UserTokens
{
    /// <summary>Creates a new token. Show it once; store <see cref="Hash"/> of it.</summary>
    public static string Create() => Base64Url.Encode(RandomNumberGenerator.GetBytes(24));

    /// <summary>Hashes a token for storage and lookup (lower-case hex SHA-256).</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Whether the text has the shape of a token (32 base64url characters); cheap rejection of garbage.</summary>
    public static bool LooksLikeToken(string? text) =>
        text is { Length: 32 } && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>Compares two secrets in constant time.</summary>
    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
