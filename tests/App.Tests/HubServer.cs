using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using CompanyHub.Functions;
using CompanyHub.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Tests;

/// <summary>
/// The whole hub (functions host, HTTP API, pages, durable engine on a SQLite file) on a real Kestrel port, as
/// <c>dotnet run</c> starts it, with settings given as command-line configuration. Logs are captured for scanning.
/// </summary>
public sealed class HubServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly StringWriter _console;
    private readonly TextWriter _consoleWriter;

    private HubServer(WebApplication app, string baseUrl, string directory, string masterKey, CapturedLogs logs, StringWriter console, TextWriter consoleWriter)
    {
        _app = app;
        _console = console;
        _consoleWriter = consoleWriter;
        BaseUrl = baseUrl;
        Directory = directory;
        MasterKey = masterKey;
        Logs = logs;
        AdminToken = new KeyRing(Convert.FromBase64String(masterKey)).AdminToken;
    }

    public string BaseUrl { get; }

    public string Directory { get; }

    public string MasterKey { get; }

    public string AdminToken { get; }

    public CapturedLogs Logs { get; }

    /// <summary>Gets what the hub printed on its start-up console (the admin link, a new recovery key), which is not a log.</summary>
    public string ConsoleOutput
    {
        get
        {
            // TextWriter.Synchronized locks the writer it returns for each write.
            lock (_consoleWriter)
            {
                return _console.ToString();
            }
        }
    }

    public IServiceProvider Services => _app.Services;

    public DurableTaskClient Client => _app.Services.GetRequiredService<DurableTaskClient>();

    /// <summary>Starts a hub. <paramref name="settings"/> are configuration keys (MASTER_KEY, PUBLIC_BASE_URL, GOOGLE_CLIENT_ID, Google:TokenEndpoint, ...).</summary>
    /// <remarks><paramref name="configure"/> adds to the hub's composition (e.g. test orchestrations) before it is built.</remarks>
    public static async Task<HubServer> StartAsync(IEnumerable<KeyValuePair<string, string?>>? settings = null, string? directory = null, string? masterKey = null, int? port = null, Action<WebApplicationBuilder>? configure = null)
    {
        var dir = directory ?? Path.Combine(Path.GetTempPath(), "hub-server-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        var key = masterKey ?? Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var p = port ?? FreePort();
        var baseUrl = $"http://127.0.0.1:{p}";
        var all = new Dictionary<string, string?>
        {
            ["urls"] = baseUrl,
            ["Host:DataDirectory"] = dir,
            ["MASTER_KEY"] = key,
            ["PUBLIC_BASE_URL"] = baseUrl,
        };
        foreach (var (k, v) in settings ?? [])
        {
            all[k] = v;
        }

        var args = all.Where(kv => kv.Value is not null).Select(kv => $"--{kv.Key}={kv.Value}").ToArray();
        var logs = new CapturedLogs();
        var console = new StringWriter();
        var consoleWriter = TextWriter.Synchronized(console);
        var app = CompanyHubApp.Build(args, b =>
        {
            b.Services.AddSingleton(new HubConsole(consoleWriter));
            b.Logging.ClearProviders();
            b.Logging.AddProvider(logs);
            b.Logging.SetMinimumLevel(LogLevel.Debug);
            configure?.Invoke(b);
        });
        await app.StartAsync();
        return new HubServer(app, all["PUBLIC_BASE_URL"] ?? baseUrl, dir, key, logs, console, consoleWriter);
    }

    public static int FreePort() => CompanyHub.Fakes.HubLaunch.FreePort();

    /// <summary>A client without redirects, optionally with a bearer token; without cookies unless given a jar (a browser's, as the Google sign-in needs).</summary>
    public HttpClient Http(string? bearer = null, CookieContainer? cookies = null) => HttpClientOf(BaseUrl, bearer, cookies);

    /// <summary>A client of the hub at <paramref name="baseUrl"/>: no redirects followed, cookies only in <paramref name="cookies"/>.</summary>
    public static HttpClient HttpClientOf(string baseUrl, string? bearer, CookieContainer? cookies)
    {
        var handler = cookies is null
            ? new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }
            : new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = cookies };
        var http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        return http;
    }

    public async Task StopAsync() => await _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Every log line the hub wrote, formatted, for tests that check no secret reaches a log.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    // For debugging a failing test: HUB_TEST_LOG_FILE=/tmp/hub.log dotnet test --filter ... appends every line there.
    private static readonly string? DebugFile = Environment.GetEnvironmentVariable("HUB_TEST_LOG_FILE");

    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel} {category}: {formatter(state, exception)} {exception}";
            owner.Lines.Enqueue(line);
            if (DebugFile is { } file)
            {
                lock (DebugFile)
                {
                    File.AppendAllText(file, line + Environment.NewLine);
                }
            }
        }
    }
}
