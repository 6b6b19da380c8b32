using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace CompanyHub.Fakes;

/// <summary>
/// What the tests that run the built hub (<c>dotnet CompanyHub.dll</c>) as a child process share: the start info with
/// the machine's credentials removed, the tail of its output, and the wait for <c>/readyz</c>.
/// </summary>
public static class HubLaunch
{
    /// <summary>
    /// Credentials and settings of the machine that must not reach a test's hub: a developer's keys, and the backup
    /// settings <c>eval "$(scripts/services env)"</c> exports for trying the hub against s3rver by hand.
    /// </summary>
    public static readonly IReadOnlyList<string> MachineSettings =
    [
        "REDPILL_API_KEY", "LLM_API_KEY", "LLM_BASE_URL", "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "NOTION_API_KEY", "ATTIO_API_KEY",
        "S3_BUCKET", "S3_ENDPOINT", "S3_REGION", "S3_PREFIX", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "S3_FORCE_PATH_STYLE",
        "S3_CHUNK_ENCODING", "S3_CHECKSUMS", "S3_PART_SIZE_MB", "BACKUP_INTERVAL_SECONDS", "BACKUP_RETENTION", "BACKUP_RESTORE_ON_START",
        "ASPNETCORE_URLS", "Host__AdminKey", "HUB_CRASH_POINT", "MASTER_KEY",
    ];

    // Hub ports come from below the kernel's ephemeral range (32768–60999 on Linux): a port the kernel hands out (to a
    // fake's listener, an outgoing connection, another test's port 0) can be taken by anyone the moment a killed hub
    // lets it go, and a restarted hub would then find another test's hub answering on its address.
    private const int FirstPort = 20000;
    private const int PortCount = 12000;
    private static int _nextPort = Random.Shared.Next(PortCount);

    /// <summary>
    /// A free loopback port for a hub this test run starts (and may kill and start again on the same address): taken in
    /// turn from 20000–31999, outside the range the kernel assigns by itself, from a random place per test process.
    /// </summary>
    public static int FreePort()
    {
        for (var attempt = 0; attempt < PortCount; attempt++)
        {
            var port = FirstPort + (Interlocked.Increment(ref _nextPort) % PortCount);
            try
            {
                using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // In use: the next one.
            }
        }

        throw new InvalidOperationException($"No free loopback port in {FirstPort}–{FirstPort + PortCount - 1}.");
    }

    /// <summary>Start info for <c>dotnet CompanyHub.dll --urls <paramref name="baseUrl"/></c> in <paramref name="hubDirectory"/>, on its data directory and master key, logging warnings and up.</summary>
    public static ProcessStartInfo StartInfo(string hubDirectory, string baseUrl, string dataDirectory, string masterKey)
    {
        var dll = Path.Combine(hubDirectory, "CompanyHub.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"The hub is not built: {dll} is missing. Build the solution first (scripts/test does).");
        }

        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = hubDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(baseUrl);
        foreach (var name in MachineSettings)
        {
            start.Environment.Remove(name);
        }

        start.Environment["DATA_DIR"] = dataDirectory;
        start.Environment["MASTER_KEY"] = masterKey;
        start.Environment["PUBLIC_BASE_URL"] = baseUrl;
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        return start;
    }

    /// <summary>Kills the hub (SIGKILL, with any children) and waits up to 15 s for it; a process never started or already gone is fine.</summary>
    public static async Task KillAsync(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (InvalidOperationException)
        {
            // Never started, or already gone.
        }
        catch (TimeoutException)
        {
            // Left to the OS: it reaps it with the test host.
        }
    }

    /// <summary>Polls <c>/readyz</c> until it answers 200 (true) or the process exits (false); throws after <paramref name="timeout"/>.</summary>
    public static async Task<bool> WaitUntilReadyAsync(Uri baseUrl, Process process, TimeSpan timeout, Func<string> output)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(output);
        using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                return false;
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Slow answer on a busy machine; ask again.
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"The hub did not become ready within {timeout.TotalSeconds} s:{Environment.NewLine}{output()}");
    }
}

/// <summary>The last lines a child process wrote (stdout and stderr), for failure messages.</summary>
public sealed class OutputTail(int lines)
{
    private readonly ConcurrentQueue<string> _lines = new();

    public void Add(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > lines)
        {
            _lines.TryDequeue(out _);
        }
    }

    public override string ToString() => string.Join(Environment.NewLine, _lines);
}
