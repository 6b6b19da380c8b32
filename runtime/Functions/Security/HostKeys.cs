using System.Security.Cryptography;
using System.Text;

namespace Serverless.Functions.Security;

/// <summary>
/// The host (admin) key that guards Function- and Admin-level functions and the management API. It comes from the
/// <c>Host:AdminKey</c> setting, or is generated once and kept in <c>&lt;data directory&gt;/host-admin.key</c>
/// (mode 0600) so it survives restarts. It is never logged or printed.
/// </summary>
public sealed class HostKeys
{
    /// <summary>The name of the setting that fixes the key.</summary>
    public const string SettingName = "Host:AdminKey";

    /// <summary>The header a caller sends the key in.</summary>
    public const string HeaderName = "x-functions-key";

    /// <summary>The query parameter a caller may send the key in instead.</summary>
    public const string QueryName = "code";

    private const int MinimumLength = 16;
    private readonly byte[] _keyBytes;

    private HostKeys(string adminKey, string source)
    {
        AdminKey = adminKey;
        Source = source;
        _keyBytes = Encoding.UTF8.GetBytes(adminKey);
    }

    /// <summary>Gets the key.</summary>
    public string AdminKey { get; }

    /// <summary>Gets where the key came from, for the start-up printout (never the key itself).</summary>
    public string Source { get; }

    /// <summary>Uses the configured key, or reads or creates <c>host-admin.key</c> in <paramref name="dataDirectory"/>.</summary>
    internal static HostKeys Resolve(string? configured, string dataDirectory)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            if (configured.Length < MinimumLength)
            {
                throw new FunctionsConfigurationException(SettingName, $"the key is shorter than {MinimumLength} characters; use a long random value, or remove the setting to have one generated.");
            }

            return new HostKeys(configured, $"setting {SettingName}");
        }

        var path = FilePath(dataDirectory);
        if (ReadStored(dataDirectory) is { } stored)
        {
            return new HostKeys(stored, $"file {path}");
        }

        Directory.CreateDirectory(dataDirectory);
        var key = Base64Url(RandomNumberGenerator.GetBytes(32));
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(path, Encoding.ASCII, options))
        {
            writer.Write(key);
        }

        return new HostKeys(key, $"file {path} (generated)");
    }

    /// <summary>Gets the file a generated key is kept in: <c>host-admin.key</c> in the data directory.</summary>
    public static string FilePath(string dataDirectory) => Path.Combine(dataDirectory, "host-admin.key");

    /// <summary>Reads the key a host generated into <paramref name="dataDirectory"/>; null when there is none (nothing is created).</summary>
    public static string? ReadStored(string dataDirectory)
    {
        var path = FilePath(dataDirectory);
        return File.Exists(path) && File.ReadAllText(path).Trim() is { Length: >= MinimumLength } stored ? stored : null;
    }

    /// <summary>Gets the key a request presents, from the <c>x-functions-key</c> header or else the <c>code</c> query parameter.</summary>
    public static string? Presented(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Headers[HeaderName].FirstOrDefault() ?? request.Query[QueryName].FirstOrDefault();
    }

    /// <summary>Compares a presented key with the host key in constant time.</summary>
    public bool Matches(string? presented) =>
        !string.IsNullOrEmpty(presented) && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _keyBytes);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
