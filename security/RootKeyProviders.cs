using System.Security.Cryptography;

namespace CompanyHub.Security;

/// <summary>Supplies the root key every other key is derived from. A TEE key service can implement this later.</summary>
public interface IRootKeyProvider
{
    /// <summary>Gets a short description of where the key comes from, for the start-up log (never the key).</summary>
    string Source { get; }

    /// <summary>Gets the root key (at least 32 bytes).</summary>
    Task<byte[]> GetRootKeyAsync(CancellationToken cancellationToken);
}

/// <summary>The root key from the <c>MASTER_KEY</c> setting (base64 of at least 32 bytes).</summary>
public sealed class ConfiguredRootKeyProvider(string base64) : IRootKeyProvider
{
    public string Source => "MASTER_KEY";

    public Task<byte[]> GetRootKeyAsync(CancellationToken cancellationToken) => Task.FromResult(Parse(base64));

    /// <summary>Parses a base64 master key, with a message that says what is wrong (never the value).</summary>
    public static byte[] Parse(string value)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(value.Trim());
        }
        catch (FormatException)
        {
            throw new KeyConfigurationException("MASTER_KEY is not valid base64. Generate one with: openssl rand -base64 32");
        }

        if (key.Length < 32)
        {
            throw new KeyConfigurationException($"MASTER_KEY decodes to {key.Length} bytes; at least 32 are required. Generate one with: openssl rand -base64 32");
        }

        return key;
    }
}

/// <summary>
/// The root key kept in the data directory (<c>master.key</c>, mode 0600), generated on first start when
/// <c>MASTER_KEY</c> is not set. Losing this file loses everything sealed under it.
/// </summary>
public sealed class FileRootKeyProvider(string dataDirectory) : IRootKeyProvider
{
    public string Path { get; } = System.IO.Path.Combine(dataDirectory, "master.key");

    public string Source => Path;

    /// <summary>Gets whether the last call created the key.</summary>
    public bool Created { get; private set; }

    public async Task<byte[]> GetRootKeyAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(Path))
        {
            var text = await File.ReadAllTextAsync(Path, cancellationToken).ConfigureAwait(false);
            try
            {
                return ConfiguredRootKeyProvider.Parse(text);
            }
            catch (KeyConfigurationException ex)
            {
                throw new KeyConfigurationException($"The key file {Path} is corrupt: {ex.Message}");
            }
        }

        Directory.CreateDirectory(dataDirectory);
        var key = RandomNumberGenerator.GetBytes(32);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(Path, options))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteAsync(Convert.ToBase64String(key)).ConfigureAwait(false);
        }

        Created = true;
        return key;
    }
}

/// <summary>The master key configuration is wrong; start-up stops with this message.</summary>
public sealed class KeyConfigurationException(string message) : Exception(message);
