using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace CompanyHub.Security;

/// <summary>
/// The recovery key: 19 random bytes and a check byte, shown to the admin once as 32 Crockford base32 characters in
/// groups of four (<c>7K3M-...</c>). A P-256 key pair is derived from it; the hub keeps only the public key
/// (<see cref="RecoveryPublicKey"/>), to which each snapshot's data key is wrapped, so the hub itself cannot unwrap
/// anything with it — only the holder of the recovery key can, on any deployment, whatever its root key.
/// </summary>
public sealed class RecoveryKey
{
    /// <summary>The random part: 152 bits.</summary>
    public const int RandomLength = 19;

    private const int Length = RandomLength + 1;
    private static readonly byte[] CheckInfo = Encoding.ASCII.GetBytes("company-hub recovery key check");
    private static readonly byte[] PrivateKeyInfo = Encoding.ASCII.GetBytes("company-hub recovery key p-256 v1");
    private static readonly BigInteger CurveOrder = BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
    private readonly byte[] _bytes;
    private readonly byte[] _privateScalar;

    private RecoveryKey(byte[] bytes, DateTimeOffset createdAt)
    {
        _bytes = bytes;
        _privateScalar = Scalar(bytes);
        using var pair = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = _privateScalar });
        var q = pair.ExportParameters(includePrivateParameters: false).Q;
        PublicKey = new RecoveryPublicKey([0x04, .. q.X!, .. q.Y!], createdAt);
    }

    /// <summary>Gets the public side: what the hub stores and wraps data keys to.</summary>
    public RecoveryPublicKey PublicKey { get; }

    /// <summary>Gets the key as it is shown to the admin: 32 characters in groups of four. Never log it.</summary>
    public string Text
    {
        get
        {
            var plain = SimpleBase.Base32.Crockford.Encode(_bytes);
            return string.Join('-', Enumerable.Range(0, plain.Length / 4).Select(i => plain.Substring(i * 4, 4)));
        }
    }

    /// <summary>Makes a new random recovery key.</summary>
    public static RecoveryKey Generate(DateTimeOffset createdAt)
    {
        var bytes = new byte[Length];
        RandomNumberGenerator.Fill(bytes.AsSpan(0, RandomLength));
        bytes[RandomLength] = Check(bytes.AsSpan(0, RandomLength));
        return new RecoveryKey(bytes, createdAt);
    }

    /// <summary>
    /// Reads a recovery key as the admin typed it: case, spaces and dashes do not matter, and O/I/L read as 0/1/1.
    /// Throws <see cref="RecoveryKeyFormatException"/> (never quoting the input) when it is not one.
    /// </summary>
    public static RecoveryKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var compact = new string([.. text.Where(c => c is not ('-' or ' ' or '\t'))]).Trim();
        byte[] bytes;
        try
        {
            bytes = SimpleBase.Base32.Crockford.Decode(compact);
        }
        catch (ArgumentException)
        {
            throw new RecoveryKeyFormatException("The recovery key has a character that is not in it (it uses 0-9 and A-Z without I, L, O, U; dashes and spaces are ignored).");
        }

        if (compact.Length != 32 || bytes.Length != Length)
        {
            throw new RecoveryKeyFormatException($"The recovery key has {compact.Length} characters (without dashes and spaces); a recovery key has 32, in 8 groups of 4.");
        }

        if (bytes[RandomLength] != Check(bytes.AsSpan(0, RandomLength)))
        {
            throw new RecoveryKeyFormatException("The recovery key is mistyped: its check character does not match. Compare it group by group with the copy you kept.");
        }

        return new RecoveryKey(bytes, DateTimeOffset.MinValue);
    }

    /// <summary>Gets the private key of the pair (to unwrap a snapshot's data key).</summary>
    public ECDiffieHellman CreatePrivateKey() => ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = _privateScalar });

    /// <summary>Names the key by its id, never its value.</summary>
    public override string ToString() => $"recovery key {PublicKey.KeyId}";

    private static byte Check(ReadOnlySpan<byte> random) => SHA256.HashData([.. CheckInfo, .. random])[0];

    /// <summary>The P-256 private scalar: HKDF-SHA256 of the key, drawn again (with a counter) in the rare case it is not in [1, n-1].</summary>
    private static byte[] Scalar(byte[] key)
    {
        for (byte counter = 0; ; counter++)
        {
            var candidate = HKDF.DeriveKey(HashAlgorithmName.SHA256, key, 32, salt: [], info: [.. PrivateKeyInfo, counter]);
            var value = new BigInteger(candidate, isUnsigned: true, isBigEndian: true);
            if (value > BigInteger.Zero && value < CurveOrder)
            {
                return candidate;
            }
        }
    }
}

/// <summary>
/// The public side of a recovery key: a P-256 point (65 bytes, uncompressed) and when the key was made. Its
/// <see cref="KeyId"/> (8 hex digits) names it in snapshot headers, the status and the audit log.
/// </summary>
public sealed record RecoveryPublicKey(byte[] Point, DateTimeOffset CreatedAt)
{
    private static readonly byte[] IdInfo = Encoding.ASCII.GetBytes("company-hub recovery key id");

    [JsonIgnore]
    public string KeyId => Convert.ToHexStringLower(SHA256.HashData([.. IdInfo, .. Point]).AsSpan(0, 4));

    /// <summary>Gets the key to do ECDH with; throws <see cref="CryptographicException"/> when the point is not on the curve.</summary>
    public ECDiffieHellman Import()
    {
        if (Point is not { Length: 65 } || Point[0] != 0x04)
        {
            throw new CryptographicException("A recovery public key is an uncompressed P-256 point (65 bytes, starting with 0x04).");
        }

        return ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = Point[1..33], Y = Point[33..] } });
    }
}

/// <summary>A recovery key was typed wrong; the message says how, never what was typed.</summary>
public sealed class RecoveryKeyFormatException(string message) : Exception(message);
