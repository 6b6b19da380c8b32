using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CompanyHub.Security;

/// <summary>
/// Seals secrets at rest (OAuth refresh tokens, API keys) with AES-256-GCM. The sealed form is
/// <c>sb1.&lt;base64url(version | key id | nonce | tag | ciphertext)&gt;</c>; the purpose (for example
/// <c>google-refresh-token:alice-company-com</c>) is bound as associated data, so a value cannot be moved to
/// another purpose. Tampered or foreign data fails with <see cref="SecretBoxException"/>, never garbage.
/// </summary>
public sealed class SecretBox
{
    private const string Prefix = "sb1.";
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly KeyRing _keys;
    private readonly byte[] _key;
    private readonly byte[] _keyId;

    public SecretBox(KeyRing keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = keys;
        _key = keys.SealingKey;
        _keyId = Convert.FromHexString(keys.KeyId);
    }

    /// <summary>Whether the value is sealed under this hub's current master key (false for another key, or not sealed at all).</summary>
    public bool IsSealedWithCurrentKey(string sealedValue) =>
        sealedValue.StartsWith(Prefix, StringComparison.Ordinal) && Base64Url.TryDecode(sealedValue[Prefix.Length..], out var envelope)
        && envelope.Length >= 1 + 4 + NonceSize + TagSize && envelope.AsSpan(1, 4).SequenceEqual(_keyId);

    public string Seal(string plaintext, string purpose)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        var data = Encoding.UTF8.GetBytes(plaintext);
        var envelope = new byte[1 + 4 + NonceSize + TagSize + data.Length];
        envelope[0] = Version;
        _keyId.CopyTo(envelope, 1);
        var nonce = envelope.AsSpan(5, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, data, envelope.AsSpan(5 + NonceSize + TagSize), envelope.AsSpan(5 + NonceSize, TagSize), AssociatedData(purpose));
        return Prefix + Base64Url.Encode(envelope);
    }

    public string Open(string sealedValue, string purpose)
    {
        ArgumentNullException.ThrowIfNull(sealedValue);
        if (!sealedValue.StartsWith(Prefix, StringComparison.Ordinal) || !Base64Url.TryDecode(sealedValue[Prefix.Length..], out var envelope)
            || envelope.Length < 1 + 4 + NonceSize + TagSize)
        {
            throw new SecretBoxException("The value is not a sealed secret of this hub (wrong format).");
        }

        if (envelope[0] != Version)
        {
            throw new SecretBoxException($"The sealed secret has version {envelope[0]}; this hub reads version {Version}.");
        }

        // This hub's key, the previous root's during a rotation, or one inherited from the hub a restore came from.
        var keyId = Convert.ToHexStringLower(envelope.AsSpan(1, 4));
        var key = _keys.OpeningKeys().FirstOrDefault(k => k.KeyId == keyId)?.Key
            ?? throw new SecretBoxException($"The secret was sealed under another master key (key id {BinaryPrimitives.ReadUInt32BigEndian(envelope.AsSpan(1, 4)):x8}); it cannot be opened with this hub's key.");

        var plaintext = new byte[envelope.Length - (5 + NonceSize + TagSize)];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(envelope.AsSpan(5, NonceSize), envelope.AsSpan(5 + NonceSize + TagSize), envelope.AsSpan(5 + NonceSize, TagSize), plaintext, AssociatedData(purpose));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new SecretBoxException("The sealed secret was tampered with or belongs to another purpose.");
        }

        return Encoding.UTF8.GetString(plaintext);
    }

    private static byte[] AssociatedData(string purpose) => Encoding.UTF8.GetBytes("companyhub/secretbox/v1/" + purpose);
}

/// <summary>A sealed secret could not be opened.</summary>
public sealed class SecretBoxException(string message) : Exception(message);
