using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.DurableTask.Client;
using Serverless.Functions.Hosting;
using Serverless.Functions.Security;
using Serverless.Host.Tests.Sample;

namespace Serverless.Host.Tests.Infrastructure;

/// <summary>The functions host on a real Kestrel (127.0.0.1, port 0) over a real SQLite file in a fresh temp directory.</summary>
public sealed class FunctionsTestHost : IAsyncDisposable
{
    public const string AdminKey = "test-admin-key-0123456789";

    /// <summary>host.json used when a test gives none: a short grace period keeps shutdown fast.</summary>
    public const string DefaultHostJson = """
        {
          "version": "2.0",
          "extensions": { "durableTask": { "hubName": "test", "shutdownGracePeriod": "00:00:01" } }
        }
        """;

    private readonly bool _ownsDirectory;

    private FunctionsTestHost(WebApplication app, string contentRoot, StringWriter banner, bool ownsDirectory)
    {
        _ownsDirectory = ownsDirectory;
        App = app;
        ContentRoot = contentRoot;
        Banner = banner;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
    }

    public static IReadOnlyList<Type> SampleTypes { get; } = [typeof(HelloSequence), typeof(Workflows), typeof(ToUpper), typeof(HttpSamples)];

    public WebApplication App { get; }

    public string ContentRoot { get; }

    public StringWriter Banner { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => App.Services;

    public DurableTaskClient DurableClient => App.Services.GetRequiredService<DurableTaskClient>();

    public static string NewDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "host-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    public static async Task<FunctionsTestHost> StartAsync(
        IEnumerable<Type>? types = null,
        string? hostJson = DefaultHostJson,
        string? localSettings = null,
        string? contentRoot = null,
        IDictionary<string, string?>? settings = null,
        Action<WebApplicationBuilder>? configure = null,
        Action<FunctionsHostOptions>? options = null,
        Action<IFunctionsHostBuilder>? functions = null)
    {
        var app = Build(types, hostJson, localSettings, contentRoot, settings, configure, out var directory, out var banner, options, functions);
        await app.StartAsync();
        return new FunctionsTestHost(app, directory, banner, ownsDirectory: contentRoot is null);
    }

    /// <summary>Builds (without starting) a host; throws what AddFunctionsHost throws.</summary>
    public static WebApplication Build(
        IEnumerable<Type>? types,
        string? hostJson,
        string? localSettings,
        string? contentRoot,
        IDictionary<string, string?>? settings,
        Action<WebApplicationBuilder>? configure,
        out string directory,
        out StringWriter banner,
        Action<FunctionsHostOptions>? options = null,
        Action<IFunctionsHostBuilder>? functions = null)
    {
        directory = contentRoot ?? NewDirectory();
        if (hostJson is not null)
        {
            File.WriteAllText(Path.Combine(directory, "host.json"), hostJson);
        }

        if (localSettings is not null)
        {
            File.WriteAllText(Path.Combine(directory, "local.settings.json"), localSettings);
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ContentRootPath = directory,
            EnvironmentName = "Production",
            Args = ["--urls", "http://127.0.0.1:0"],
        });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [HostKeys.SettingName] = AdminKey });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Services.AddSingleton<Greeter>();
        builder.Services.AddSingleton<TickLog>();
        var writer = new StringWriter();
        var host = builder.AddFunctionsHost(o =>
        {
            foreach (var type in types ?? SampleTypes)
            {
                o.FunctionTypes.Add(type);
            }

            o.BannerWriter = writer;
            o.ExportLocalSettingsToEnvironment = false;
            options?.Invoke(o);
        });
        functions?.Invoke(host);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapFunctions();
        banner = writer;
        return app;
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? json = null, bool admin = true, string? contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, url);
        if (admin)
        {
            request.Headers.Add(HostKeys.HeaderName, AdminKey);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        }

        return Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (!_ownsDirectory)
        {
            return;
        }

        try
        {
            Directory.Delete(ContentRoot, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a finalizing connection is left for the OS temp cleaner.
        }
    }
}
