using System.Security.Cryptography;
using CompanyHub.Integrations.Dstack;

namespace CompanyHub.Security;

/// <summary>Supplies the root key every other key is derived from: MASTER_KEY, the TEE's key service, or a generated key file.</summary>
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

/// <summary>
/// The root key from the dstack guest agent's <c>GetKey</c> at a fixed path, inside a Phala CVM when <c>MASTER_KEY</c>
/// is not set. The KMS derives it from the app id, so every CVM of the same app gets the same key and no key has to be
/// handed in; a new app (a fresh <c>phala deploy</c>) gets another one.
/// </summary>
public sealed class DstackRootKeyProvider(DstackGuestClient agent) : IRootKeyProvider
{
    /// <summary>The key path asked of the guest agent. Changing it changes every derived key.</summary>
    public const string KeyPath = "company-hub/root";

    /// <summary>The purpose sent with <see cref="KeyPath"/>.</summary>
    public const string KeyPurpose = "root-key";

    public string Source => $"the dstack guest agent at {agent.Endpoint.Description} (GetKey path {KeyPath})";

    public async Task<byte[]> GetRootKeyAsync(CancellationToken cancellationToken)
    {
        DstackKey key;
        try
        {
            key = await agent.GetKeyAsync(KeyPath, KeyPurpose, cancellationToken).ConfigureAwait(false);
        }
        catch (DstackException ex)
        {
            throw new KeyConfigurationException($"MASTER_KEY is not set and the dstack guest agent at {agent.Endpoint.Description} is present, but it gave no root key: {ex.Message} Check that the CVM's guest agent runs and docker-compose.yml mounts /var/run/dstack.sock, or set MASTER_KEY.");
        }

        if (key.Key.Length < 32)
        {
            throw new KeyConfigurationException($"The dstack guest agent at {agent.Endpoint.Description} answered GetKey with {key.Key.Length} bytes; the root key needs at least 32. Set MASTER_KEY to start without it.");
        }

        return key.Key;
    }
}

/// <summary>The master key configuration is wrong; start-up stops with this message.</summary>
public sealed class KeyConfigurationException(string message) : Exception(message);
