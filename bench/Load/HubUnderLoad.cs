using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Attio;
using CompanyHub.Fakes.Notion;
using CompanyHub.Fakes.OpenAi;

namespace CompanyHub.Load;

/// <summary>What the load run is pointed at.</summary>
public sealed class LoadOptions
{
    public int Agents { get; set; } = 200;

    public int Users { get; set; } = 40;

    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(120);

    public TimeSpan LlmDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    public Uri? Url { get; set; }

    public string? AdminToken { get; set; }

    public int? Pid { get; set; }

    public string? HubDll { get; set; }

    /// <summary>Gets or sets how many event streams to hold open: one per agent (its dashboard), the rest idle (more tabs).</summary>
    public int Streams { get; set; } = 1000;
}

/// <summary>
/// The hub under load: by default the built hub (<c>dotnet CompanyHub.dll</c>) as a child process with its own data
/// directory, pointed at in-process fakes of the LLM, Notion and Attio (so its memory is its own); or a running hub.
/// </summary>
public sealed class HubUnderLoad : IAsyncDisposable
{
    private readonly Process? _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly List<IAsyncDisposable> _fakes = [];

    private HubUnderLoad(Process? process, Uri baseUrl, int? pid)
    {
        _process = process;
        BaseUrl = baseUrl;
        Pid = pid;
    }

    public Uri BaseUrl { get; }

    public string AdminToken { get; private set; } = "";

    public int? Pid { get; private set; }

    /// <summary>The Notion page proposals create pages under (empty when targeting a running hub: Notion proposals are then skipped).</summary>
    public string? WikiPageId { get; private set; }

    public string? DataDirectory { get; private set; }

    public static async Task<HubUnderLoad> StartAsync(LoadOptions options)
    {
        if (options.Url is not null)
        {
            return new HubUnderLoad(null, options.Url, options.Pid) { AdminToken = options.AdminToken! };
        }

        var dll = options.HubDll ?? FindHubDll();
        var llm = await FakeOpenAi.StartAsync();
        llm.Default = _ => new FakeOpenAi.Reply("Noted — I will keep that in mind.", Delay: options.LlmDelay);
        var notion = await FakeNotion.StartAsync();
        var attio = await FakeAttio.StartAsync();
        var wiki = notion.AddPage(null, "Team Wiki", "Welcome.");

        var port = FreePort();
        var baseUrl = new Uri($"http://127.0.0.1:{port}");
        var data = Directory.CreateTempSubdirectory("hub-load-").FullName;
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(baseUrl.ToString().TrimEnd('/'));
        foreach (var name in new[] { "REDPILL_API_KEY", "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "S3_BUCKET", "ASPNETCORE_URLS", "Host__AdminKey" })
        {
            start.Environment.Remove(name);
        }

        start.Environment["DATA_DIR"] = data;
        start.Environment["MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        start.Environment["PUBLIC_BASE_URL"] = baseUrl.ToString().TrimEnd('/');
        start.Environment["LLM_API_KEY"] = "test-llm-key";
        start.Environment["LLM_BASE_URL"] = llm.BaseUrl;
        start.Environment["LLM_MODEL"] = "load-model";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in notion.ConfigurationValues().Concat(attio.ConfigurationValues()))
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = new Process { StartInfo = start };
        var hub = new HubUnderLoad(process, baseUrl, null) { WikiPageId = wiki, DataDirectory = data };
        hub._fakes.AddRange([llm, notion, attio]);
        process.OutputDataReceived += (_, e) => hub.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => hub.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        hub.Pid = process.Id;
        try
        {
            await hub.WaitReadyAsync();
        }
        catch
        {
            await hub.DisposeAsync();
            throw;
        }

        return hub;
    }

    /// <summary>The hub's resident memory now (from /proc), or null when it is not known.</summary>
    public long? ResidentBytes()
    {
        if (Pid is not { } pid)
        {
            return null;
        }

        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        foreach (var fake in _fakes)
        {
            await fake.DisposeAsync();
        }

        if (DataDirectory is not null)
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    private static string FindHubDll()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CompanyHub.csproj")))
            {
                var dll = Path.Combine(dir.FullName, "bin", "Release", "net10.0", "CompanyHub.dll");
                return File.Exists(dll) ? dll : throw new InvalidOperationException($"The hub is not built: {dll} is missing (scripts/load builds it).");
            }
        }

        throw new InvalidOperationException("Could not find the repository (CompanyHub.csproj) above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        const string marker = "?token=";
        if (line.StartsWith("Admin dashboard:", StringComparison.Ordinal) && line.IndexOf(marker, StringComparison.Ordinal) is var at and >= 0)
        {
            AdminToken = line[(at + marker.Length)..].Trim();
        }
    }

    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException("The hub exited while starting:\n" + string.Join('\n', _output));
            }

            try
            {
                if ((await http.GetAsync("/readyz")).IsSuccessStatusCode && AdminToken.Length > 0)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(250);
        }

        throw new InvalidOperationException("The hub did not become ready within 90 s:\n" + string.Join('\n', _output));
    }

    /// <summary>A proposal payload the fakes accept.</summary>
    public JsonObject Proposal(int n) => WikiPageId is { } wiki && n % 2 == 0
        ? new JsonObject { ["type"] = "create_notion_page", ["payload"] = new JsonObject { ["parentPageId"] = wiki, ["title"] = $"Load note {n}", ["content"] = "Written under load." } }
        : new JsonObject { ["type"] = "create_attio_task", ["payload"] = new JsonObject { ["content"] = $"Load task {n}" } };
}
