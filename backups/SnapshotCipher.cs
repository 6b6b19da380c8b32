using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using CompanyHub.Security;

namespace CompanyHub.Backups;

/// <summary>
/// The encrypted snapshot object: a plaintext header, then the manifest and the bundle as AES-256-GCM segments.
/// </summary>
/// <remarks>
/// <para>Header (57 bytes): magic <c>CHUBSNAP</c>, format version (1), the 4-byte key id of the root key that made it,
/// a 32-byte random salt, a 7-byte random nonce prefix, and the length of the encrypted manifest (4 bytes, big-endian).</para>
/// <para>The object key is HKDF-SHA256(backup key, salt, "company-hub snapshot v1"): every snapshot has its own key, so
/// nonces never repeat across snapshots. Segment <c>i</c> (the manifest is segment 0, then the bundle in 1 MiB pieces)
/// uses the nonce <c>prefix ‖ i (4 bytes) ‖ last (1 byte)</c> and the whole header as associated data: reordering,
/// dropping, truncating or splicing segments, or changing a header byte, fails authentication.</para>
/// <para>.NET's AES-GCM is one-shot, so a large bundle is cut into segments (the construction of streaming AEADs such
/// as age and Tink) to keep memory bounded.</para>
/// </remarks>
public static class SnapshotCipher
{
    public const int HeaderLength = 8 + 1 + 4 + 32 + 7 + 4;
    public const int SegmentSize = 1024 * 1024;
    private const int TagSize = 16;
    private const byte Version = 1;
    private static readonly byte[] Magic = "CHUBSNAP"u8.ToArray();
    private static readonly byte[] KeyInfo = Encoding.ASCII.GetBytes("company-hub snapshot v1");

    /// <summary>Encrypts <paramref name="manifest"/> and the file at <paramref name="bundlePath"/> into <paramref name="outputPath"/>.</summary>
    public static async Task EncryptAsync(KeyRing keys, byte[] manifest, string bundlePath, string outputPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(manifest);
        var header = new byte[HeaderLength];
        Magic.CopyTo(header, 0);
        header[8] = Version;
        Convert.FromHexString(keys.KeyId).CopyTo(header, 9);
        RandomNumberGenerator.Fill(header.AsSpan(13, 32 + 7));
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(52), manifest.Length + TagSize);

        using var aes = new AesGcm(ObjectKey(keys.BackupKey, header), TagSize);
        await using var output = new FileStream(outputPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await output.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(Seal(aes, header, 0, last: false, manifest), cancellationToken).ConfigureAwait(false);

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

    /// <summary>Reads the header: which key made the snapshot and how long its encrypted manifest is.</summary>
    public static SnapshotHeader ReadHeader(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderLength || !bytes[..8].SequenceEqual(Magic))
        {
            throw new SnapshotRejectedException("it is not a Company Hub snapshot (unknown format).");
        }

        if (bytes[8] != Version)
        {
            throw new SnapshotRejectedException($"it has format version {bytes[8]}; this build reads version {Version}.");
        }

        var manifestLength = BinaryPrimitives.ReadInt32BigEndian(bytes[52..]);
        if (manifestLength < TagSize || manifestLength > SegmentSize + TagSize)
        {
            throw new SnapshotRejectedException("its header is damaged (impossible manifest length).");
        }

        return new SnapshotHeader(bytes[..HeaderLength].ToArray(), Convert.ToHexStringLower(bytes.Slice(9, 4)), manifestLength);
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

        throw new SnapshotRejectedException($"it was made under another root key (key id {header.KeyId}; this hub's key id is {keys.KeyId}). Start the hub with the MASTER_KEY (or TEE key) of the hub that made it.");
    }

    /// <summary>Decrypts the manifest segment (the bytes right after the header).</summary>
    public static byte[] OpenManifest(SnapshotHeader header, KeyRing keys, ReadOnlySpan<byte> sealedManifest)
    {
        ArgumentNullException.ThrowIfNull(header);
        using var aes = new AesGcm(ObjectKey(KeysFor(header, keys).BackupKey, header.Bytes), TagSize);
        return Open(aes, header.Bytes, 0, last: false, sealedManifest[..header.ManifestLength])
            ?? throw new SnapshotRejectedException("its manifest fails authentication: the object was altered or damaged.");
    }

    /// <summary>Decrypts a whole snapshot file: returns the manifest and writes the bundle to <paramref name="bundlePath"/>.</summary>
    public static async Task<byte[]> DecryptAsync(KeyRing keys, string snapshotPath, string bundlePath, CancellationToken cancellationToken)
    {
        await using var input = new FileStream(snapshotPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var headerBytes = new byte[HeaderLength];
        if (await input.ReadAtLeastAsync(headerBytes, HeaderLength, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < HeaderLength)
        {
            throw new SnapshotRejectedException("it is shorter than a snapshot header.");
        }

        var header = ReadHeader(headerBytes);
        var sealedManifest = new byte[header.ManifestLength];
        if (await input.ReadAtLeastAsync(sealedManifest, sealedManifest.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < sealedManifest.Length)
        {
            throw new SnapshotRejectedException("it ends inside its manifest (truncated).");
        }

        var manifest = OpenManifest(header, keys, sealedManifest);
        using var aes = new AesGcm(ObjectKey(KeysFor(header, keys).BackupKey, header.Bytes), TagSize);
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

        return manifest;
    }

    private static byte[] ObjectKey(byte[] backupKey, byte[] header) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, backupKey, 32, salt: header.AsSpan(13, 32).ToArray(), info: KeyInfo);

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

/// <summary>The plaintext header of a snapshot object.</summary>
public sealed record SnapshotHeader(byte[] Bytes, string KeyId, int ManifestLength);

/// <summary>A snapshot was refused: it does not decrypt under this hub's key, fails authentication, or does not verify.</summary>
public sealed class SnapshotRejectedException(string reason) : Exception(reason);
