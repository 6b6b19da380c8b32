using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CompanyHub.Security;

namespace CompanyHub.Backups;

/// <summary>
/// The encrypted snapshot object: a plaintext header, then the manifest and the bundle as AES-256-GCM segments under the
/// snapshot's own random data key, which the header carries wrapped twice — under the root key and to the recovery key.
/// </summary>
/// <remarks>
/// <para>Header, format 2 (221 bytes): magic <c>CHUBSNAP</c>, format version (2), the 4-byte key id of the root key that
/// made it, a 32-byte random salt, a 7-byte random nonce prefix, the length of the encrypted first segment (4 bytes,
/// big-endian); then the recovery key's id (4 bytes), an ephemeral P-256 public key (65 bytes), the data key wrapped
/// under the root key (48 bytes) and the data key wrapped to the recovery key (48 bytes).</para>
/// <para>Root wrap: AES-256-GCM under HKDF-SHA256(backup key, salt, "company-hub snapshot v2 root wrap"). Recovery wrap:
/// ECDH of the ephemeral key with the recovery public key, HKDF-SHA256(shared secret, ephemeral ‖ recovery public key,
/// "company-hub snapshot v2 recovery wrap"), AES-256-GCM — an ECIES like HPKE's DHKEM(P-256). Each wrapping key is new
/// for every snapshot and wraps one key, so its nonce is fixed (zero); the header up to the wraps is their associated data.</para>
/// <para>Segment <c>i</c> (0 is the manifest with the key block, then the bundle in 1 MiB pieces) is sealed under the data
/// key with the nonce <c>prefix ‖ i (4 bytes) ‖ last (1 byte)</c> and the whole header as associated data: reordering,
/// dropping, truncating or splicing segments, or changing a header byte, fails authentication. Segment 0 holds the
/// manifest's length (4 bytes), the manifest, and the key block (<see cref="SnapshotKeyBlock"/>): the sealing keys that
/// open the secrets inside the databases, and the recovery public key.</para>
/// <para>Format 1 (56-byte header, up to the manifest length; no wraps, no key block; the segments under
/// HKDF-SHA256(backup key, salt, "company-hub snapshot v1")) is still read, with the root key that made it.</para>
/// <para>.NET's AES-GCM is one-shot, so a large bundle is cut into segments (the construction of streaming AEADs such
/// as age and Tink) to keep memory bounded.</para>
/// </remarks>
public static class SnapshotCipher
{
    public const int SegmentSize = 1024 * 1024;

    /// <summary>The header's length in the format this build writes (format 1's was 56 bytes).</summary>
    public const int HeaderLength = WrapAadLength + WrapLength + WrapLength;
    private const int BaseLength = 8 + 1 + 4 + 32 + 7 + 4;
    private const int PointLength = 65;
    private const int WrapLength = 32 + TagSize;
    private const int WrapAadLength = BaseLength + 4 + PointLength;
    private const int TagSize = 16;
    private const byte Version = 2;
    private static readonly byte[] Magic = "CHUBSNAP"u8.ToArray();
    private static readonly byte[] Version1Info = Encoding.ASCII.GetBytes("company-hub snapshot v1");
    private static readonly byte[] RootWrapInfo = Encoding.ASCII.GetBytes("company-hub snapshot v2 root wrap");
    private static readonly byte[] RecoveryWrapInfo = Encoding.ASCII.GetBytes("company-hub snapshot v2 recovery wrap");
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Encrypts <paramref name="manifest"/> and the file at <paramref name="bundlePath"/> into <paramref name="outputPath"/>,
    /// under a new data key wrapped under <paramref name="keys"/>' root and to <paramref name="recovery"/>.
    /// </summary>
    public static async Task EncryptAsync(KeyRing keys, RecoveryPublicKey recovery, byte[] manifest, string bundlePath, string outputPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(recovery);
        ArgumentNullException.ThrowIfNull(manifest);
        var block = JsonSerializer.SerializeToUtf8Bytes(new SnapshotKeyBlock(keys.OpeningKeys(), recovery), Json);
        byte[] first = [.. new byte[4], .. manifest, .. block];
        BinaryPrimitives.WriteInt32BigEndian(first, manifest.Length);

        var header = new byte[HeaderLength];
        Magic.CopyTo(header, 0);
        header[8] = Version;
        Convert.FromHexString(keys.KeyId).CopyTo(header, 9);
        RandomNumberGenerator.Fill(header.AsSpan(13, 32 + 7));
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(52), first.Length + TagSize);
        Convert.FromHexString(recovery.KeyId).CopyTo(header, BaseLength);
        var dataKey = RandomNumberGenerator.GetBytes(32);
        using (var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256))
        using (var recipient = recovery.Import())
        {
            var q = ephemeral.ExportParameters(includePrivateParameters: false).Q;
            header[BaseLength + 4] = 0x04;
            q.X!.CopyTo(header, BaseLength + 5);
            q.Y!.CopyTo(header, BaseLength + 5 + 32);
            Wrap(RootWrapKey(keys.BackupKey, header), header, dataKey, header.AsSpan(WrapAadLength, WrapLength));
            Wrap(RecoveryWrapKey(ephemeral.DeriveRawSecretAgreement(recipient.PublicKey), header, recovery.Point), header, dataKey, header.AsSpan(WrapAadLength + WrapLength, WrapLength));
        }

        using var aes = new AesGcm(dataKey, TagSize);
        await using var output = new FileStream(outputPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await output.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(Seal(aes, header, 0, last: false, first), cancellationToken).ConfigureAwait(false);

        await using var input = new FileStream(bundlePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var buffer = new byte[SegmentSize];
        var remaining = input.Length;
        var index = 1u;
        do
        {
            var count = (int)Math.Min(SegmentSize, remaining);
            await input.ReadExactlyAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            remaining -= count;
            await output.WriteAsync(Seal(aes, header, index++, last: remaining == 0, buffer.AsSpan(0, count)), cancellationToken).ConfigureAwait(false);
        }
        while (remaining > 0);
    }

    /// <summary>Reads the header from the start of an object: its format, which keys made it and how long its first segment is.</summary>
    public static SnapshotHeader ReadHeader(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < BaseLength || !bytes[..8].SequenceEqual(Magic))
        {
            throw new SnapshotRejectedException("it is not a Company Hub snapshot (unknown format).");
        }

        if (bytes[8] is not (1 or Version))
        {
            throw new SnapshotRejectedException($"it has format version {bytes[8]}; this build reads versions 1 and {Version}.");
        }

        var length = bytes[8] == 1 ? BaseLength : HeaderLength;
        if (bytes.Length < length)
        {
            throw new SnapshotRejectedException("it ends inside its header (truncated).");
        }

        var manifestLength = BinaryPrimitives.ReadInt32BigEndian(bytes[52..]);
        if (manifestLength < TagSize || manifestLength > SegmentSize + TagSize)
        {
            throw new SnapshotRejectedException("its header is damaged (impossible manifest length).");
        }

        return new SnapshotHeader(bytes[..length].ToArray(), Convert.ToHexStringLower(bytes.Slice(9, 4)), manifestLength)
        {
            RecoveryKeyId = bytes[8] == 1 ? null : Convert.ToHexStringLower(bytes.Slice(BaseLength, 4)),
        };
    }

    /// <summary>Picks the key ring (current or previous root key) that made the snapshot, or explains why none did.</summary>
    public static KeyRing KeysFor(SnapshotHeader header, KeyRing keys)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(keys);
        if (header.KeyId == keys.KeyId)
        {
            return keys;
        }

        if (keys.Previous is { } previous && header.KeyId == previous.KeyId)
        {
            return previous;
        }

        throw new SnapshotRejectedException($"it was made under another root key (key id {header.KeyId}; this hub's key id is {keys.KeyId}). Start the hub with the MASTER_KEY (or TEE key) of the hub that made it"
            + (header.RecoveryKeyId is { } recoveryId ? $", or restore it with its recovery key (id {recoveryId}): backups restore --recovery-key <key>, or BACKUP_RECOVERY_KEY at start-up." : "."));
    }

    /// <summary>
    /// Decrypts the first segment (the bytes right after the header) and returns the manifest. With a
    /// <paramref name="recovery"/> key the snapshot is opened with it alone; otherwise with the root key that made it.
    /// </summary>
    public static byte[] OpenManifest(SnapshotHeader header, KeyRing keys, RecoveryKey? recovery, ReadOnlySpan<byte> sealedManifest) =>
        OpenFirst(header, DataKey(header, keys, recovery), sealedManifest).Manifest;

    /// <summary>Decrypts a whole snapshot file: returns the manifest (with the key block) and writes the bundle to <paramref name="bundlePath"/>.</summary>
    public static async Task<SnapshotContents> DecryptAsync(KeyRing keys, RecoveryKey? recovery, string snapshotPath, string bundlePath, CancellationToken cancellationToken)
    {
        await using var input = new FileStream(snapshotPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var start = new byte[Math.Min(input.Length, HeaderLength)];
        await input.ReadExactlyAsync(start, cancellationToken).ConfigureAwait(false);
        var header = ReadHeader(start);
        input.Position = header.Bytes.Length;
        var sealedManifest = new byte[header.ManifestLength];
        if (await input.ReadAtLeastAsync(sealedManifest, sealedManifest.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < sealedManifest.Length)
        {
            throw new SnapshotRejectedException("it ends inside its manifest (truncated).");
        }

        var dataKey = DataKey(header, keys, recovery);
        var contents = OpenFirst(header, dataKey, sealedManifest);
        using var aes = new AesGcm(dataKey, TagSize);
        await using var output = new FileStream(bundlePath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        var segment = new byte[SegmentSize + TagSize];
        var remaining = input.Length - input.Position;
        var index = 1u;
        do
        {
            var count = (int)Math.Min(segment.Length, remaining);
            if (count < TagSize)
            {
                throw new SnapshotRejectedException("it ends inside a segment (truncated).");
            }

            await input.ReadExactlyAsync(segment.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            remaining -= count;
            var plain = Open(aes, header.Bytes, index, last: remaining == 0, segment.AsSpan(0, count))
                ?? throw new SnapshotRejectedException($"segment {index} fails authentication: the object was altered, truncated or damaged.");
            await output.WriteAsync(plain, cancellationToken).ConfigureAwait(false);
            index++;
        }
        while (remaining > 0);

        return contents;
    }

    /// <summary>The key the segments are sealed under: format 1 derives it from the root key; format 2 unwraps its data key.</summary>
    private static byte[] DataKey(SnapshotHeader header, KeyRing keys, RecoveryKey? recovery)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(keys);
        var bytes = header.Bytes;
        if (header.RecoveryKeyId is null)
        {
            return recovery is not null
                ? throw new SnapshotRejectedException($"it is in format 1, made before recovery keys: only the root key that made it (key id {header.KeyId}) opens it.")
                : HKDF.DeriveKey(HashAlgorithmName.SHA256, KeysFor(header, keys).BackupKey, 32, salt: bytes.AsSpan(13, 32).ToArray(), info: Version1Info);
        }

        if (recovery is null)
        {
            return Unwrap(RootWrapKey(KeysFor(header, keys).BackupKey, bytes), bytes, bytes.AsSpan(WrapAadLength, WrapLength))
                ?? throw new SnapshotRejectedException("its header fails authentication: the object was altered or damaged.");
        }

        if (header.RecoveryKeyId != recovery.PublicKey.KeyId)
        {
            throw new SnapshotRejectedException($"it was made for recovery key id {header.RecoveryKeyId}; the recovery key given has id {recovery.PublicKey.KeyId}. Use the recovery key that was current when it was made.");
        }

        using var ephemeral = ImportEphemeral(bytes[(BaseLength + 4)..WrapAadLength]);
        using var privateKey = recovery.CreatePrivateKey();
        var wrapKey = RecoveryWrapKey(privateKey.DeriveRawSecretAgreement(ephemeral.PublicKey), bytes, recovery.PublicKey.Point);
        return Unwrap(wrapKey, bytes, bytes.AsSpan(WrapAadLength + WrapLength, WrapLength))
            ?? throw new SnapshotRejectedException("its recovery wrap fails authentication: the object was altered or damaged.");
    }

    private static SnapshotContents OpenFirst(SnapshotHeader header, byte[] dataKey, ReadOnlySpan<byte> sealedManifest)
    {
        using var aes = new AesGcm(dataKey, TagSize);
        var plain = Open(aes, header.Bytes, 0, last: false, sealedManifest[..header.ManifestLength])
            ?? throw new SnapshotRejectedException("its manifest fails authentication: the object was altered or damaged.");
        if (header.RecoveryKeyId is null)
        {
            return new SnapshotContents(plain, null);
        }

        var manifestLength = BinaryPrimitives.ReadInt32BigEndian(plain);
        try
        {
            var block = JsonSerializer.Deserialize<SnapshotKeyBlock>(plain.AsSpan(4 + manifestLength), Json);
            return block is { SealingKeys: not null, RecoveryKey.Point: not null }
                ? new SnapshotContents(plain[4..(4 + manifestLength)], block)
                : throw new SnapshotRejectedException("its key block is not one this build understands.");
        }
        catch (JsonException)
        {
            throw new SnapshotRejectedException("its key block is not valid JSON.");
        }
    }

    private static ECDiffieHellman ImportEphemeral(byte[] point)
    {
        try
        {
            return new RecoveryPublicKey(point, DateTimeOffset.MinValue).Import();
        }
        catch (CryptographicException)
        {
            throw new SnapshotRejectedException("its ephemeral key is not a P-256 point: the object was altered or damaged.");
        }
    }

    private static byte[] RootWrapKey(byte[] backupKey, byte[] header) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, backupKey, 32, salt: header.AsSpan(13, 32).ToArray(), info: RootWrapInfo);

    private static byte[] RecoveryWrapKey(byte[] sharedSecret, byte[] header, byte[] recoveryPoint) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, sharedSecret, 32, salt: [.. header.AsSpan(BaseLength + 4, PointLength), .. recoveryPoint], info: RecoveryWrapInfo);

    private static void Wrap(byte[] wrapKey, byte[] header, byte[] dataKey, Span<byte> destination)
    {
        using var aes = new AesGcm(wrapKey, TagSize);
        aes.Encrypt(new byte[12], dataKey, destination[..32], destination[32..], header.AsSpan(0, WrapAadLength));
    }

    private static byte[]? Unwrap(byte[] wrapKey, byte[] header, ReadOnlySpan<byte> wrapped)
    {
        using var aes = new AesGcm(wrapKey, TagSize);
        var dataKey = new byte[32];
        try
        {
            aes.Decrypt(new byte[12], wrapped[..32], wrapped[32..], dataKey, header.AsSpan(0, WrapAadLength));
            return dataKey;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    private static byte[] Nonce(byte[] header, uint index, bool last)
    {
        var nonce = new byte[12];
        header.AsSpan(45, 7).CopyTo(nonce);
        BinaryPrimitives.WriteUInt32BigEndian(nonce.AsSpan(7), index);
        nonce[11] = last ? (byte)1 : (byte)0;
        return nonce;
    }

    private static byte[] Seal(AesGcm aes, byte[] header, uint index, bool last, ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[plaintext.Length + TagSize];
        aes.Encrypt(Nonce(header, index, last), plaintext, output.AsSpan(0, plaintext.Length), output.AsSpan(plaintext.Length), header);
        return output;
    }

    private static byte[]? Open(AesGcm aes, byte[] header, uint index, bool last, ReadOnlySpan<byte> sealedSegment)
    {
        var length = sealedSegment.Length - TagSize;
        var plaintext = new byte[length];
        try
        {
            aes.Decrypt(Nonce(header, index, last), sealedSegment[..length], sealedSegment[length..], plaintext, header);
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }
}

/// <summary>The plaintext header of a snapshot object; <see cref="RecoveryKeyId"/> is null in format 1.</summary>
public sealed record SnapshotHeader(byte[] Bytes, string KeyId, int ManifestLength)
{
    public string? RecoveryKeyId { get; init; }
}

/// <summary>
/// What a format-2 snapshot carries besides its databases, encrypted with them: the sealing keys that open the secrets
/// sealed inside (the making hub's own, its previous root's, those it inherited), and the recovery public key it was made for.
/// </summary>
public sealed record SnapshotKeyBlock(IReadOnlyList<SealingKey> SealingKeys, RecoveryPublicKey RecoveryKey);

/// <summary>A decrypted snapshot's manifest, and its key block (null in format 1).</summary>
public sealed record SnapshotContents(byte[] Manifest, SnapshotKeyBlock? Keys);

/// <summary>A snapshot was refused: it does not decrypt under this hub's key, fails authentication, or does not verify.</summary>
public sealed class SnapshotRejectedException(string reason) : Exception(reason);
