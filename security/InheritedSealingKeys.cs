using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace CompanyHub.Security;

/// <summary>
/// The sealing keys a restore brought from the hub that made the snapshot, kept in the data directory
/// (<c>inherited-sealing.keys</c>, mode 0600) sealed under this hub's root key. A restore under another root key (with
/// the recovery key) writes them; at start-up they join the key ring, so the restored secrets (Google refresh tokens,
/// pending invites) open, and <see cref="SealedSecretRotation"/> re-seals the lasting ones under this hub's key.
/// </summary>
public static class InheritedSealingKeys
{
    public const string FileName = "inherited-sealing.keys";
    private const string Purpose = "inherited-sealing-keys";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Reads the file into the key ring (no file: nothing). A file this hub cannot open is reported and left alone.</summary>
    public static void Load(string dataDirectory, KeyRing keys, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var path = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path))
        {
            return;
        }

        var box = new SecretBox(keys);
        var sealedText = File.ReadAllText(path).Trim();
        try
        {
            keys.Inherit(JsonSerializer.Deserialize<List<SealingKey>>(box.Open(sealedText, Purpose), Json) ?? []);
        }
        catch (Exception ex) when (ex is SecretBoxException or JsonException)
        {
            log.LogWarning("{Path} cannot be read ({Reason}): secrets restored from another hub's snapshot stay sealed under that hub's keys.", path, ex.Message);
            return;
        }

        if (!box.IsSealedWithCurrentKey(sealedText))
        {
            // Sealed under the previous root key (a MASTER_KEY rotation): seal it under the current one, so it outlives MASTER_KEY_PREVIOUS.
            Save(path, keys);
        }

        log.LogInformation("Sealing keys inherited from restored snapshots (key ids {KeyIds}) open the secrets that were sealed under them.", string.Join(", ", keys.Inherited.Select(k => k.KeyId)));
    }

    /// <summary>Adds <paramref name="restored"/> (all but this hub's own key) to the key ring and to the file.</summary>
    public static void Add(string dataDirectory, KeyRing keys, IEnumerable<SealingKey> restored)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Inherit(restored))
        {
            Save(Path.Combine(dataDirectory, FileName), keys);
        }
    }

    private static void Save(string path, KeyRing keys) =>
        PrivateFile.Write(path, new SecretBox(keys).Seal(JsonSerializer.Serialize(keys.Inherited, Json), Purpose));
}

/// <summary>Writes a file readable by the hub's user only (0600), replacing the old one in one step.</summary>
public static class PrivateFile
{
    public static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
