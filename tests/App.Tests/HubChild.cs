using System.Diagnostics;
using System.Reflection;
using CompanyHub.Fakes;
using CompanyHub.Security;

namespace CompanyHub.Tests;

/// <summary>
/// The built hub (<c>bin/&lt;configuration&gt;/net10.0/CompanyHub.dll</c>) as a child process on a data directory, port and
/// master key that survive it, so a test can kill it (or let a crash point kill it) and start it again on the same
/// state. Settings are configuration keys (<c>Google:TokenEndpoint</c>), passed as environment variables.
/// </summary>
public sealed class HubChild : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly OutputTail _output = new(300);

    private HubChild(Process process, string baseUrl, string adminToken)
    {
        _process = process;
        BaseUrl = baseUrl;
        AdminToken = adminToken;
    }

    public string BaseUrl { get; }

    public string AdminToken { get; }

    /// <summary>Gets what the hub wrote to stdout and stderr.</summary>
    public string Output => _output.ToString();

    public bool HasExited => _process.HasExited;

    /// <summary>Gets the repository these tests were built from (its scripts/ and bin/).</summary>
    public static string RepositoryRoot => Metadata("RepositoryRoot");

    /// <summary>Gets the hub's build output folder (CompanyHub.dll with its wwwroot/ and host.json).</summary>
    public static string HubDirectory => Path.Combine(RepositoryRoot, "bin", Metadata("HubConfiguration"), Metadata("HubTargetFramework"));

    /// <summary>
    /// Starts the hub and waits until <c>/readyz</c> answers 200, or until the process exits (a crash point during
    /// start-up, a refusal): then <see cref="HasExited"/> is true and <see cref="Output"/> says why.
    /// </summary>
    public static async Task<HubChild> StartAsync(HubLocation location, IEnumerable<KeyValuePair<string, string?>> settings, string? crashPoint = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        var start = HubLaunch.StartInfo(HubDirectory, location.BaseUrl, location.Directory, location.MasterKey);
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        if (crashPoint is not null)
        {
            start.Environment[Serverless.DurableTask.CrashPoints.EnvironmentVariable] = crashPoint;
        }

        var process = new Process { StartInfo = start };
        var hub = new HubChild(process, location.BaseUrl, new KeyRing(Convert.FromBase64String(location.MasterKey)).AdminToken);
        process.OutputDataReceived += (_, e) => hub.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => hub.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await HubLaunch.WaitUntilReadyAsync(new Uri(location.BaseUrl), process, StartTimeout, () => hub.Output);
        }
        catch
        {
            await hub.DisposeAsync();
            throw;
        }

        return hub;
    }

    /// <summary>A client without redirects, optionally with a bearer token; without cookies unless given a jar (a browser's).</summary>
    public HttpClient Http(string? bearer = null, System.Net.CookieContainer? cookies = null) => HubServer.HttpClientOf(BaseUrl, bearer, cookies);

    /// <summary>Waits for the process to end by itself (a crash point); false when it still runs after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Kills the process (SIGKILL) and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        await HubLaunch.KillAsync(_process);
        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is not null)
        {
            _output.Add(line);
        }
    }

    private static string Metadata(string key) =>
        typeof(HubChild).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata '{key}' is missing (see CompanyHub.Tests.csproj).");
}

/// <summary>Where a child hub lives across its restarts: data directory, address and master key.</summary>
public sealed record HubLocation(string Directory, string BaseUrl, string MasterKey)
{
    public static HubLocation Create()
    {
        var directory = Path.Combine(Path.GetTempPath(), "hub-child-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        return new HubLocation(directory, $"http://127.0.0.1:{HubServer.FreePort()}", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
    }

    public int Port => new Uri(BaseUrl).Port;
}
