using System.Security.Cryptography;
using System.Text;

namespace CompanyHub.Security;

/// <summary>
/// The keys of the hub, each derived from the root key with HKDF-SHA256 under its own label, so that one leaked
/// derived key reveals nothing about the others or the root.
/// </summary>
public sealed class KeyRing
{
    private readonly Lock _inheritLock = new();
    private IReadOnlyList<SealingKey> _inherited = [];

    public const string AdminTokenLabel = "gateway-admin-token";
    public const string SealingLabel = "secret-sealing-key";
    public const string BackupLabel = "backup-encryption-key";
    public const string OAuthStateLabel = "oauth-state-signing-key";
    public const string TelegramWebhookLabel = "telegram-webhook-secret";

    public KeyRing(byte[] rootKey)
    {
        ArgumentNullException.ThrowIfNull(rootKey);
        if (rootKey.Length < 32)
        {
            throw new KeyConfigurationException("The root key must be at least 32 bytes.");
        }

        AdminToken = Base64Url.Encode(Derive(rootKey, AdminTokenLabel, 24));
        SealingKey = Derive(rootKey, SealingLabel, 32);
        BackupKey = Derive(rootKey, BackupLabel, 32);
        OAuthStateKey = Derive(rootKey, OAuthStateLabel, 32);
        TelegramWebhookSecret = Base64Url.Encode(Derive(rootKey, TelegramWebhookLabel, 32));

        // Identifies which root sealed a value, without revealing anything about it.
        KeyId = Convert.ToHexStringLower(Derive(rootKey, "key-id", 4));
        HubId = Convert.ToHexStringLower(Derive(rootKey, HubIdLabel, 32));
    }

    /// <summary>The label of <see cref="HubId"/>.</summary>
    public const string HubIdLabel = "hub-identity";

    /// <summary>Gets the admin token: 24 derived bytes as base64url without padding (32 characters).</summary>
    public string AdminToken { get; }

    public byte[] SealingKey { get; }

    public byte[] BackupKey { get; }

    public byte[] OAuthStateKey { get; }

    /// <summary>
    /// Gets the secret Telegram sends in <c>X-Telegram-Bot-Api-Secret-Token</c> with every webhook update (given to it by
    /// <c>setWebhook</c>): 32 derived bytes as base64url (43 characters of the header's alphabet <c>A-Za-z0-9_-</c>).
    /// </summary>
    public string TelegramWebhookSecret { get; }

    /// <summary>Gets a short public fingerprint of the root key (8 hex digits).</summary>
    public string KeyId { get; }

    /// <summary>
    /// Gets the hub's public identity (64 hex digits): derived from the root key, so it stays the same across restarts
    /// and redeployments with the same key, and reveals nothing about it. The attestation quote commits to it.
    /// </summary>
    public string HubId { get; }

    /// <summary>
    /// Gets the keys of the master key being rotated out (<c>MASTER_KEY_PREVIOUS</c>), or null. Secrets sealed under it
    /// can still be opened; nothing is sealed under it any more.
    /// </summary>
    public KeyRing? Previous { get; init; }

    /// <summary>
    /// Gets the sealing keys inherited from the hubs whose snapshots this hub was restored from (a restore under another
    /// root key with the recovery key): secrets sealed under them open, nothing new is sealed under them.
    /// </summary>
    public IReadOnlyList<SealingKey> Inherited => _inherited;

    /// <summary>Gets every key this hub opens sealed secrets with: its own first, then the previous root's, then the inherited ones.</summary>
    public IReadOnlyList<SealingKey> OpeningKeys()
    {
        var all = new List<SealingKey> { new(KeyId, SealingKey) };
        if (Previous is { } previous)
        {
            all.Add(new SealingKey(previous.KeyId, previous.SealingKey));
        }

        all.AddRange(_inherited);
        return all.DistinctBy(k => k.KeyId).ToList();
    }

    /// <summary>Adds sealing keys a restore brought (those of this hub's own root are left out); returns whether any was new.</summary>
    public bool Inherit(IEnumerable<SealingKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        lock (_inheritLock)
        {
            var known = OpeningKeys().Select(k => k.KeyId).ToHashSet(StringComparer.Ordinal);
            var added = keys.Where(k => known.Add(k.KeyId)).ToList();
            _inherited = [.. _inherited, .. added];
            return added.Count > 0;
        }
    }

    public static byte[] Derive(byte[] rootKey, string label, int length) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, rootKey, length, salt: [], info: Encoding.UTF8.GetBytes(label));
}

/// <summary>A key that seals secrets, with the key id of the root key it was derived from.</summary>
public sealed record SealingKey(string KeyId, byte[] Key);

/// <summary>base64url without padding (RFC 4648 §5).</summary>
public static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    public static bool TryDecode(string text, out byte[] bytes)
    {
        try
        {
            bytes = System.Buffers.Text.Base64Url.DecodeFromChars(text);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
