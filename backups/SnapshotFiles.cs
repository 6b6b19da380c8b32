using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace CompanyHub.Backups;

/// <summary>What a snapshot holds: the list of files with their sizes and SHA-256 hashes, and when and why it was made.</summary>
public sealed record SnapshotManifest(int Format, string Hub, DateTimeOffset CreatedAt, string Reason, IReadOnlyList<SnapshotFile> Files)
{
    public const int CurrentFormat = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public long TotalSize => Files.Sum(f => f.Size);

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static SnapshotManifest Parse(byte[] bytes)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<SnapshotManifest>(bytes, Json);
            return manifest is { Format: CurrentFormat, Files: not null } && manifest.Files.All(f => SnapshotFiles.IsSafeName(f.Name))
                ? manifest
                : throw new SnapshotRejectedException("its manifest is not one this build understands.");
        }
        catch (JsonException)
        {
            throw new SnapshotRejectedException("its manifest is not valid JSON.");
        }
    }

    /// <summary>Gets whether <paramref name="other"/> has exactly the same files and contents.</summary>
    public bool SameContentAs(SnapshotManifest? other) =>
        other is not null && other.Files.Count == Files.Count && Files.All(f => other.Files.Any(o => o.Name == f.Name && o.Role == f.Role && o.Sha256 == f.Sha256));
}

/// <summary>One file in a snapshot. <see cref="Role"/> is <c>store</c> for the durable store, <c>database</c> for the app's other databases.</summary>
public sealed record SnapshotFile(string Name, string Role, long Size, string Sha256);

/// <summary>A database to snapshot: its name in the snapshot, its role and where it lives.</summary>
public sealed record SnapshotSource(string Name, string Role, string Path);

/// <summary>Takes consistent copies of the hub's SQLite databases, bundles them (tar + gzip) and checks a bundle on the way back.</summary>
public static class SnapshotFiles
{
    public const string StoreRole = "store";
    public const string DatabaseRole = "database";
    private static readonly byte[] SqliteMagic = Encoding.ASCII.GetBytes("SQLite format 3\0");

    /// <summary>
    /// Finds every SQLite database of the hub: the durable store (wherever it is) and each <c>*.db</c> file in the data
    /// directory that is a SQLite database. Key files (<c>master.key</c>, <c>host-admin.key</c>) are never included.
    /// </summary>
    public static IReadOnlyList<SnapshotSource> Discover(string dataDirectory, string? storePath)
    {
        var sources = new List<SnapshotSource>();
        var store = storePath is null ? null : Path.GetFullPath(storePath);
        if (store is not null && IsSqlite(store))
        {
            sources.Add(new SnapshotSource(Path.GetFileName(store), StoreRole, store));
        }

        if (Directory.Exists(dataDirectory))
        {
            foreach (var path in Directory.EnumerateFiles(dataDirectory, "*.db").Select(Path.GetFullPath).Order(StringComparer.Ordinal))
            {
                if (path != store && IsSqlite(path) && sources.All(s => s.Name != Path.GetFileName(path)))
                {
                    sources.Add(new SnapshotSource(Path.GetFileName(path), DatabaseRole, path));
                }
            }
        }

        return sources;
    }

    /// <summary>A cheap fingerprint of the databases (sizes and write times of each file and its WAL): equal fingerprints mean nothing was written.</summary>
    public static string Fingerprint(IEnumerable<SnapshotSource> sources)
    {
        var text = new StringBuilder();
        foreach (var source in sources)
        {
            foreach (var path in new[] { source.Path, source.Path + "-wal" })
            {
                var info = new FileInfo(path);
                text.Append(path).Append(':').Append(info.Exists ? $"{info.Length}/{info.LastWriteTimeUtc.Ticks}" : "-").Append(';');
            }
        }

        return text.ToString();
    }

    /// <summary>Copies each database with SQLite's online backup (consistent while the hub writes) into <paramref name="stagingDirectory"/>.</summary>
    public static async Task<IReadOnlyList<SnapshotFile>> CaptureAsync(IEnumerable<SnapshotSource> sources, string stagingDirectory, CancellationToken cancellationToken)
    {
        var files = new List<SnapshotFile>();
        foreach (var source in sources)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var copy = Path.Combine(stagingDirectory, source.Name);
            using (var from = new SqliteConnection(Connection(source.Path, SqliteOpenMode.ReadWrite)))
            using (var to = new SqliteConnection(Connection(copy, SqliteOpenMode.ReadWriteCreate)))
            {
                from.Open();
                to.Open();
                from.BackupDatabase(to);
            }

            files.Add(new SnapshotFile(source.Name, source.Role, new FileInfo(copy).Length, await HashAsync(copy, cancellationToken).ConfigureAwait(false)));
        }

        return files;
    }

    /// <summary>Writes the captured files into one gzip-compressed tar file.</summary>
    public static async Task BundleAsync(string stagingDirectory, IEnumerable<SnapshotFile> files, string bundlePath, CancellationToken cancellationToken)
    {
        await using var output = new FileStream(bundlePath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await using var gzip = new GZipStream(output, CompressionLevel.Fastest);
        await using var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var file in files)
        {
            await tar.WriteEntryAsync(Path.Combine(stagingDirectory, file.Name), file.Name, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Unpacks a bundle into <paramref name="directory"/> and checks it against the manifest: exactly the listed files,
    /// each with its size and SHA-256, each a SQLite database that passes <c>PRAGMA quick_check</c>.
    /// </summary>
    public static async Task ExtractAndVerifyAsync(string bundlePath, SnapshotManifest manifest, string directory, CancellationToken cancellationToken)
    {
        var expected = manifest.Files.ToDictionary(f => f.Name, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await using var input = new FileStream(bundlePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            await using var gzip = new GZipStream(input, CompressionMode.Decompress);
            await using var tar = new TarReader(gzip);
            while (await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || !expected.ContainsKey(entry.Name) || !seen.Add(entry.Name) || entry.DataStream is null)
                {
                    throw new SnapshotRejectedException($"its bundle holds an unexpected entry '{entry.Name}'.");
                }

                await using (var file = new FileStream(Path.Combine(directory, entry.Name), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                {
                    await entry.DataStream.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new SnapshotRejectedException($"its bundle cannot be read ({ex.Message}).");
        }

        foreach (var file in manifest.Files)
        {
            var path = Path.Combine(directory, file.Name);
            if (!seen.Contains(file.Name))
            {
                throw new SnapshotRejectedException($"{file.Name} is listed in its manifest but missing from the bundle.");
            }

            if (new FileInfo(path).Length != file.Size || await HashAsync(path, cancellationToken).ConfigureAwait(false) != file.Sha256)
            {
                throw new SnapshotRejectedException($"{file.Name} does not match the size and SHA-256 in its manifest.");
            }

            using var connection = new SqliteConnection(Connection(path, SqliteOpenMode.ReadWrite));
            connection.Open();
            using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA quick_check";
            var result = check.ExecuteScalar() as string;
            if (result != "ok")
            {
                throw new SnapshotRejectedException($"{file.Name} fails SQLite's integrity check ({result}).");
            }
        }
    }

    /// <summary>Gets whether a name can be a file of a snapshot (a plain file name, nothing that climbs out of a directory).</summary>
    public static bool IsSafeName(string? name) =>
        !string.IsNullOrEmpty(name) && name == Path.GetFileName(name) && name is not "." and not ".." && name.IndexOfAny(['/', '\\', '\0']) < 0;

    /// <summary>The SHA-256 of a file, in lower-case hex.</summary>
    public static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
    }

    private static string Connection(string path, SqliteOpenMode mode) =>
        new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false, DefaultTimeout = 30 }.ToString();

    private static bool IsSqlite(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            Span<byte> head = stackalloc byte[16];
            return stream.ReadAtLeast(head, 16, throwOnEndOfStream: false) == 16 && head.SequenceEqual(SqliteMagic);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
