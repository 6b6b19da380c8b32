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

    [Fact]
    public async Task EncryptThenDecrypt_GivesBackTheManifestAndTheBundle()
    {
        var (manifest, bundle, sealedPath) = await SealAsync(2 * SnapshotCipher.SegmentSize + 12345);
        var output = Path.Combine(_dir, "out");
        var opened = await SnapshotCipher.DecryptAsync(_keys, sealedPath, output, CancellationToken.None);
        Assert.Equal(manifest, opened);
        Assert.Equal(await File.ReadAllBytesAsync(bundle), await File.ReadAllBytesAsync(output));
        Assert.DoesNotContain("CompanyHub", System.Text.Encoding.UTF8.GetString(await File.ReadAllBytesAsync(sealedPath)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("flip-data", "fails authentication")]
    [InlineData("flip-manifest", "manifest fails authentication")]
    [InlineData("flip-header", "manifest fails authentication")]
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
            "drop-last-segment" => bytes[..^(SnapshotCipher.SegmentSize + 16)],
            "swap-segments" => [.. bytes[..dataStart], .. bytes[(dataStart + SnapshotCipher.SegmentSize + 16)..(dataStart + (2 * (SnapshotCipher.SegmentSize + 16)))], .. bytes[dataStart..(dataStart + SnapshotCipher.SegmentSize + 16)], .. bytes[(dataStart + (2 * (SnapshotCipher.SegmentSize + 16)))..]],
            _ => Flip(bytes, 0),
        };
        await File.WriteAllBytesAsync(sealedPath, bytes);

        var ex = await Assert.ThrowsAsync<SnapshotRejectedException>(() => SnapshotCipher.DecryptAsync(_keys, sealedPath, Path.Combine(_dir, "out"), CancellationToken.None));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherRootKey_IsRefusedNamingBothKeyIds_AndThePreviousKeyStillOpensIt()
    {
        var (manifest, _, sealedPath) = await SealAsync(100);
        var other = new KeyRing(RandomNumberGenerator.GetBytes(32));
        var ex = await Assert.ThrowsAsync<SnapshotRejectedException>(() => SnapshotCipher.DecryptAsync(other, sealedPath, Path.Combine(_dir, "out"), CancellationToken.None));
        Assert.Contains(_keys.KeyId, ex.Message, StringComparison.Ordinal);
        Assert.Contains(other.KeyId, ex.Message, StringComparison.Ordinal);

        var rotated = new KeyRing(RandomNumberGenerator.GetBytes(32)) { Previous = _keys };
        Assert.Equal(manifest, await SnapshotCipher.DecryptAsync(rotated, sealedPath, Path.Combine(_dir, "out"), CancellationToken.None));
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
        await SnapshotCipher.EncryptAsync(_keys, manifest, bundle, sealedPath, CancellationToken.None);
        return (manifest, bundle, sealedPath);
    }
}
