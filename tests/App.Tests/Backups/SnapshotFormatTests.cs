using System.Security.Cryptography;
using CompanyHub.Backups;
using CompanyHub.Security;
using Microsoft.Data.Sqlite;

namespace CompanyHub.Tests.Backups;

/// <summary>The snapshot format on its own: encryption round trip, every kind of damage refused, which files go in.</summary>
public sealed class SnapshotFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "hub-snapshot-tests", Guid.NewGuid().ToString("N"))).FullName;
    private readonly KeyRing _keys = new(RandomNumberGenerator.GetBytes(32));
    private readonly RecoveryKey _recovery = RecoveryKey.Generate(DateTimeOffset.UtcNow);

    [Fact]
    public async Task EncryptThenDecrypt_GivesBackTheManifestAndTheBundle()
    {
        var (manifest, bundle, sealedPath) = await SealAsync(2 * SnapshotCipher.SegmentSize + 12345);
        var output = Path.Combine(_dir, "out");
        var opened = await SnapshotCipher.DecryptAsync(_keys, null, sealedPath, output, CancellationToken.None);
        Assert.Equal(manifest, opened.Manifest);
        Assert.Equal(await File.ReadAllBytesAsync(bundle), await File.ReadAllBytesAsync(output));
        Assert.DoesNotContain("CompanyHub", System.Text.Encoding.UTF8.GetString(await File.ReadAllBytesAsync(sealedPath)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("flip-data", "fails authentication")]
    [InlineData("flip-manifest", "manifest fails authentication")]
    [InlineData("flip-header", "header fails authentication")]
    [InlineData("flip-recovery-wrap", "manifest fails authentication")]
    [InlineData("drop-last-segment", "fails authentication")]
    [InlineData("swap-segments", "fails authentication")]
    [InlineData("not-a-snapshot", "not a Company Hub snapshot")]
    public async Task DamagedSnapshot_IsRefused(string damage, string expected)
    {
        var (_, _, sealedPath) = await SealAsync(3 * SnapshotCipher.SegmentSize);
        var bytes = await File.ReadAllBytesAsync(sealedPath);
        var dataStart = bytes.Length - (3 * (SnapshotCipher.SegmentSize + 16));
        bytes = damage switch
        {
            "flip-data" => Flip(bytes, bytes.Length - 5000),
            "flip-manifest" => Flip(bytes, SnapshotCipher.HeaderLength + 3),
            "flip-header" => Flip(bytes, 20),
            "flip-recovery-wrap" => Flip(bytes, SnapshotCipher.HeaderLength - 20),
            "drop-last-segment" => bytes[..^(SnapshotCipher.SegmentSize + 16)],
            "swap-segments" => [.. bytes[..dataStart], .. bytes[(dataStart + SnapshotCipher.SegmentSize + 16)..(dataStart + (2 * (SnapshotCipher.SegmentSize + 16)))], .. bytes[dataStart..(dataStart + SnapshotCipher.SegmentSize + 16)], .. bytes[(dataStart + (2 * (SnapshotCipher.SegmentSize + 16)))..]],
            _ => Flip(bytes, 0),
        };
        await File.WriteAllBytesAsync(sealedPath, bytes);

        var ex = await Assert.ThrowsAsync<SnapshotRejectedException>(() => SnapshotCipher.DecryptAsync(_keys, null, sealedPath, Path.Combine(_dir, "out"), CancellationToken.None));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherRootKey_IsRefusedNamingBothKeyIds_AndThePreviousKeyStillOpensIt()
    {
        var (manifest, _, sealedPath) = await SealAsync(100);
        var other = new KeyRing(RandomNumberGenerator.GetBytes(32));
        var ex = await Assert.ThrowsAsync<SnapshotRejectedException>(() => SnapshotCipher.DecryptAsync(other, null, sealedPath, Path.Combine(_dir, "out"), CancellationToken.None));
        Assert.Contains(_keys.KeyId, ex.Message, StringComparison.Ordinal);
        Assert.Contains(other.KeyId, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"recovery key (id {_recovery.PublicKey.KeyId})", ex.Message, StringComparison.Ordinal);

        var rotated = new KeyRing(RandomNumberGenerator.GetBytes(32)) { Previous = _keys };
        Assert.Equal(manifest, (await SnapshotCipher.DecryptAsync(rotated, null, sealedPath, Path.Combine(_dir, "out"), CancellationToken.None)).Manifest);
    }

    [Fact]
    public async Task RecoveryKey_OpensTheSnapshotUnderAnotherRootKey_WithTheSealingKeysOfTheHubThatMadeIt()
    {
        var (manifest, bundle, sealedPath) = await SealAsync(SnapshotCipher.SegmentSize + 777);
        var other = new KeyRing(RandomNumberGenerator.GetBytes(32));
        var typed = RecoveryKey.Parse(_recovery.Text.ToLowerInvariant());

        var opened = await SnapshotCipher.DecryptAsync(other, typed, sealedPath, Path.Combine(_dir, "out"), CancellationToken.None);

        Assert.Equal(manifest, opened.Manifest);
        Assert.Equal(await File.ReadAllBytesAsync(bundle), await File.ReadAllBytesAsync(Path.Combine(_dir, "out")));
        var sealing = Assert.Single(opened.Keys!.SealingKeys);
        Assert.Equal(_keys.KeyId, sealing.KeyId);
        Assert.Equal(_keys.SealingKey, sealing.Key);
        Assert.Equal(_recovery.PublicKey.Point, opened.Keys.RecoveryKey.Point);

        // The secrets the making hub sealed open on the other hub once it inherits the snapshot's sealing keys.
        var sealedSecret = new SecretBox(_keys).Seal("refresh-token-of-alice", "google-refresh-token");
        Assert.Throws<SecretBoxException>(() => new SecretBox(other).Open(sealedSecret, "google-refresh-token"));
        Assert.True(other.Inherit(opened.Keys.SealingKeys));
        Assert.Equal("refresh-token-of-alice", new SecretBox(other).Open(sealedSecret, "google-refresh-token"));
    }

    [Fact]
    public async Task WrongRecoveryKey_IsRefusedNamingBothKeyIds_AndATamperedRecoveryWrapFailsAuthentication()
    {
        var (_, _, sealedPath) = await SealAsync(100);
        var wrong = RecoveryKey.Generate(DateTimeOffset.UtcNow);
        var ex = await Assert.ThrowsAsync<SnapshotRejectedException>(() => SnapshotCipher.DecryptAsync(_keys, wrong, sealedPath, Path.Combine(_dir, "out"), CancellationToken.None));
        Assert.Contains($"made for recovery key id {_recovery.PublicKey.KeyId}", ex.Message, StringComparison.Ordinal);
        Assert.Contains(wrong.PublicKey.KeyId, ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "out")));

        var bytes = await File.ReadAllBytesAsync(sealedPath);
        await File.WriteAllBytesAsync(sealedPath, Flip(bytes, SnapshotCipher.HeaderLength - 20));
        ex = await Assert.ThrowsAsync<SnapshotRejectedException>(() => SnapshotCipher.DecryptAsync(_keys, _recovery, sealedPath, Path.Combine(_dir, "out"), CancellationToken.None));
        Assert.Contains("recovery wrap fails authentication", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FormatOneSnapshot_WrittenByTheOldWriter_OpensWithItsRootKey_AndNotWithARecoveryKey()
    {
        var fixture = FixturePath();
        var keys = new KeyRing(Convert.FromBase64String(FormatOneMasterKey));
        var output = Path.Combine(_dir, "out");

        var opened = await SnapshotCipher.DecryptAsync(keys, null, Path.Combine(fixture, "v1.bin"), output, CancellationToken.None);

        Assert.Null(opened.Keys);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(fixture, "v1.manifest.json")), opened.Manifest);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(fixture, "v1.bundle.tar.gz")), await File.ReadAllBytesAsync(output));
        Assert.Equal(2, SnapshotManifest.Parse(opened.Manifest).Files.Count);
        var ex = await Assert.ThrowsAsync<SnapshotRejectedException>(() => SnapshotCipher.DecryptAsync(keys, _recovery, Path.Combine(fixture, "v1.bin"), output, CancellationToken.None));
        Assert.Contains("format 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RecoveryKey_IsShownGrouped_ReadsBackLoosely_AndAMistypeOrAWrongLengthIsCaught()
    {
        var text = _recovery.Text;
        Assert.Matches("^([0-9A-HJKMNP-TV-Z]{4}-){7}[0-9A-HJKMNP-TV-Z]{4}$", text);
        Assert.DoesNotContain(text, _recovery.ToString(), StringComparison.Ordinal);
        var loose = text.Replace('-', ' ').ToLowerInvariant().Replace('0', 'o').Replace('1', 'l');
        Assert.Equal(_recovery.PublicKey.Point, RecoveryKey.Parse(loose).PublicKey.Point);
        Assert.NotEqual(_recovery.PublicKey.KeyId, RecoveryKey.Generate(DateTimeOffset.UtcNow).PublicKey.KeyId);

        // The last character carries only check bits (bits 155-159 of the check byte): changed, the check cannot match.
        var swapped = text[..^1] + (text[^1] == '2' ? '3' : '2');
        Assert.Contains("mistyped", Assert.Throws<RecoveryKeyFormatException>(() => RecoveryKey.Parse(swapped)).Message, StringComparison.Ordinal);
        Assert.Contains("has 28 characters", Assert.Throws<RecoveryKeyFormatException>(() => RecoveryKey.Parse(text[..^5])).Message, StringComparison.Ordinal);
        var invalid = Assert.Throws<RecoveryKeyFormatException>(() => RecoveryKey.Parse("U" + text[1..]));
        Assert.Contains("character", invalid.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(text[5..], invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Discover_TakesEverySqliteDatabase_NeverTheKeyFiles()
    {
        foreach (var name in new[] { "CompanyHub.db", "audit.db", "other.db" })
        {
            using var connection = new SqliteConnection($"Data Source={Path.Combine(_dir, name)};Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE t (x)";
            command.ExecuteNonQuery();
        }

        File.WriteAllText(Path.Combine(_dir, "master.key"), "secret");
        File.WriteAllText(Path.Combine(_dir, "host-admin.key"), "secret");
        File.WriteAllText(Path.Combine(_dir, "notes.db"), "not a database");

        var sources = SnapshotFiles.Discover(_dir, Path.Combine(_dir, "CompanyHub.db"));
        Assert.Equal(["CompanyHub.db", "audit.db", "other.db"], sources.Select(s => s.Name));
        Assert.Equal(SnapshotFiles.StoreRole, sources[0].Role);
        Assert.All(sources.Skip(1), s => Assert.Equal(SnapshotFiles.DatabaseRole, s.Role));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static byte[] Flip(byte[] bytes, int index)
    {
        bytes[index] ^= 0x80;
        return bytes;
    }

    private async Task<(byte[] Manifest, string Bundle, string Sealed)> SealAsync(int bundleLength)
    {
        var manifest = new SnapshotManifest(SnapshotManifest.CurrentFormat, "CompanyHub", DateTimeOffset.UtcNow, "test", [new SnapshotFile("CompanyHub.db", "store", 1, "00")]).ToBytes();
        var bundle = Path.Combine(_dir, "bundle");
        await File.WriteAllBytesAsync(bundle, RandomNumberGenerator.GetBytes(bundleLength));
        var sealedPath = Path.Combine(_dir, "sealed");
        await SnapshotCipher.EncryptAsync(_keys, _recovery.PublicKey, manifest, bundle, sealedPath, CancellationToken.None);
        return (manifest, bundle, sealedPath);
    }

    /// <summary>The root key of the format-1 fixture (tests/Fixtures/snapshots/README.md).</summary>
    internal const string FormatOneMasterKey = "NsfzEEakFYrXEgokyU+ZwTM++WHuILSPNtpAXQvbebw=";

    internal static string FixturePath([System.Runtime.CompilerServices.CallerFilePath] string source = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "..", "Fixtures", "snapshots"));
}
