using CompanyHub.Fakes;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace CompanyHub.Browser.Tests.Infrastructure;

/// <summary>
/// The real hub as a child process: <c>dotnet CompanyHub.dll --urls http://127.0.0.1:&lt;free port&gt;</c> from its build
/// output, with its own data directory and a known <c>MASTER_KEY</c>, so that the admin token is known. No credentials
/// of the machine reach it (no Google: the development sign-in is available); the test passes the settings it wants,
/// such as the fake LLM's address.
/// </summary>
public sealed partial class HubProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly Process _process;
    private readonly OutputTail _output = new(400);
    private readonly TaskCompletionSource<string> _adminLink = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HubProcess(Process process, string dataDirectory, Uri baseUrl, string adminToken)
    {
        _process = process;
        DataDirectory = dataDirectory;
        BaseUrl = baseUrl;
        AdminToken = adminToken;
    }

    /// <summary>Gets the hub's address, e.g. http://127.0.0.1:41234.</summary>
    public Uri BaseUrl { get; }

    /// <summary>Gets the admin token, derived from the master key exactly as the hub derives it (HKDF-SHA256, "gateway-admin-token").</summary>
    public string AdminToken { get; }

    /// <summary>Gets the admin dashboard link the hub printed at start-up.</summary>
    public string PrintedAdminLink { get; private set; } = "";

    public string DataDirectory { get; }

    /// <summary>Gets what the hub wrote to stdout and stderr so far (for failure messages).</summary>
    public string Output => _output.ToString();

    public static string RepositoryRoot => Metadata("RepositoryRoot");

    /// <summary>Gets the hub's build output folder (holds CompanyHub.dll, wwwroot/ and host.json).</summary>
    public static string HubDirectory => Path.Combine(RepositoryRoot, "bin", Metadata("HubConfiguration"), Metadata("HubTargetFramework"));

    /// <summary>Starts a hub; <paramref name="everyAddress"/> makes it listen on 0.0.0.0 (it is still opened at 127.0.0.1).</summary>
    public static async Task<HubProcess> StartAsync(IReadOnlyDictionary<string, string>? settings = null, bool everyAddress = false)
    {
        var masterKey = RandomNumberGenerator.GetBytes(32);
        var adminToken = Convert.ToBase64String(HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, 24, salt: [], info: Encoding.UTF8.GetBytes("gateway-admin-token")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var port = FreePort();
        var baseUrl = new Uri($"http://127.0.0.1:{port}");
        var dataDirectory = Directory.CreateTempSubdirectory("hub-browser-").FullName;

        var start = HubLaunch.StartInfo(HubDirectory, baseUrl.ToString().TrimEnd('/'), dataDirectory, Convert.ToBase64String(masterKey));
        if (everyAddress)
        {
            start.ArgumentList[start.ArgumentList.IndexOf("--urls") + 1] = $"http://0.0.0.0:{port}";
        }

        start.Environment["COMPANY_NAME"] = "Acme Browser Tests";
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var hub = new HubProcess(process, dataDirectory, baseUrl, adminToken);
        process.OutputDataReceived += (_, e) => hub.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => hub.OnLine(e.Data);
        process.Exited += (_, _) => hub._adminLink.TrySetException(new InvalidOperationException($"The hub exited with code {SafeExitCode(process)} before it was ready:{Environment.NewLine}{hub.Output}"));
        if (!process.Start())
        {
            throw new InvalidOperationException("Could not start `dotnet` for the hub.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            hub.PrintedAdminLink = await hub._adminLink.Task.WaitAsync(StartTimeout);
            await hub.WaitUntilReadyAsync();
        }
        catch
        {
            await hub.DisposeAsync();
            throw;
        }

        return hub;
    }

    /// <summary>A dashboard link for a token: what people are sent.</summary>
    public string Link(string token, string pathAndQuery = "/") => new Uri(BaseUrl, pathAndQuery + (pathAndQuery.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "token=" + token).ToString();

    public async ValueTask DisposeAsync()
    {
        await HubLaunch.KillAsync(_process);
        _process.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open; the temp folder is cleaned up by the OS.
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Add(line);

        if (AdminLinkLine().Match(line) is { Success: true } match)
        {
            _adminLink.TrySetResult(match.Groups[1].Value);
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        if (!await HubLaunch.WaitUntilReadyAsync(BaseUrl, _process, StartTimeout, () => Output))
        {
            throw new InvalidOperationException($"The hub exited with code {_process.ExitCode}:{Environment.NewLine}{Output}");
        }
    }

    public static int FreePort() => HubLaunch.FreePort();

    private static string SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    private static string Metadata(string key) =>
        typeof(HubProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata '{key}' is missing (see CompanyHub.Browser.Tests.csproj).");

    [GeneratedRegex(@"Admin dashboard: (\S+)")]
    private static partial Regex AdminLinkLine();
}
