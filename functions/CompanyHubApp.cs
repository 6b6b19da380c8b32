using CompanyHub.Activities;
using CompanyHub.Backups;
using CompanyHub.Integrations;
using CompanyHub.Integrations.Llm;
using CompanyHub.Integrations.Storage;
using CompanyHub.Orchestrations;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Orchestrations.Notifications;
using CompanyHub.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.DurableTask;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serverless.Functions.Hosting;
using HostSettings = Serverless.Functions.Hosting.FunctionsHostBuilderExtensions;

namespace CompanyHub.Functions;

/// <summary>Composes the app on the functions host: settings, security, stores, tools and the durable tasks.</summary>
public static class CompanyHubApp
{
    /// <summary>The audit log's SQLite file in the data directory (on the SQLite store).</summary>
    private const string AuditFile = "audit.db";

    /// <summary>The conversation archive's SQLite file in the data directory (on the SQLite store).</summary>
    private const string ConversationsFile = "conversations.db";

    /// <summary>The knowledge base's SQLite file in the data directory (on the SQLite store).</summary>
    private const string KnowledgeFile = "knowledge.db";

    /// <summary>The most a request body may carry.</summary>
    public const long MaxRequestBody = 1024 * 1024;

    /// <summary>
    /// Builds the hub: the functions host with the app's functions, services and pages. Throws
    /// <see cref="Serverless.Functions.FunctionsHostException"/> or <see cref="KeyConfigurationException"/> when it cannot run.
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = CreateBuilder(args, configure);
        var functions = builder.AddFunctionsHost(typeof(CompanyHubApp).Assembly);
        builder.AddCompanyHub(functions);
        var app = builder.Build();
        app.UseCompanyHub();
        app.MapFunctions();
        app.MapHubMetrics();
        return app;
    }

    /// <summary>
    /// Builds only the durable part of the hub, as <see cref="Build"/> composes it from the same settings (host.json,
    /// local.settings.json, environment, <paramref name="args"/>): the store, Microsoft's <c>DurableTaskClient</c> over
    /// it with the hub's data converter, the registry of the app's orchestrations, and the audit log. Nothing is started and no key is
    /// read: the <c>durable</c> command uses it on a stopped hub's data directory. Open the store with
    /// <c>InitializeDurableStoreAsync</c> before using the client.
    /// </summary>
    public static WebApplication BuildDurableClient(string[] args)
    {
        var builder = CreateBuilder(args, null);
        var functions = builder.AddFunctionsHost(o =>
        {
            o.Assemblies.Add(typeof(CompanyHubApp).Assembly);
            o.PrintBanner = false;
        });
        AddDurableTasks(builder.Services, functions);
        AddAuditLog(builder.Services, Registered<FunctionsHostEnvironment>(builder.Services).Single().DataDirectory);
        return builder.Build();
    }

    /// <summary>
    /// The audit log and the conversation archive live beside the durable store: in the data directory with SQLite, in
    /// the hub's schema with PostgreSQL (where every replica must see the same ones). This registers the audit log.
    /// </summary>
    private static void AddAuditLog(IServiceCollection services, string dataDirectory) =>
        services.AddSingleton<IAuditLog>(Registered<SharedPostgresDatabase>(services).SingleOrDefault() is { } shared
            ? new PostgresAuditLog(shared)
            : new SqliteAuditLog(Path.Combine(dataDirectory, AuditFile)));

    private static WebApplicationBuilder CreateBuilder(string[] args, Action<WebApplicationBuilder>? configure)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        if (Environment.GetEnvironmentVariable("DATA_DIR") is { Length: > 0 } dataDirectory && builder.Configuration[HostSettings.DataDirectorySetting] is null)
        {
            builder.Configuration[HostSettings.DataDirectorySetting] = dataDirectory;
        }

        return builder;
    }

    /// <summary>The app's orchestrations, activities and entities, and the data converter Microsoft's worker and client take from the services: the hub's JSON, as it has always stored it.</summary>
    private static void AddDurableTasks(IServiceCollection services, IFunctionsHostBuilder functions)
    {
        services.AddSingleton<DataConverter>(HubJson.Converter);
        functions.AddTasks(r => CompanyHubTasks.Register(r));
    }

    public static void AddCompanyHub(this WebApplicationBuilder builder, IFunctionsHostBuilder functions)
    {
        var configuration = builder.Configuration;
        var dataDirectory = Path.GetFullPath(configuration[HostSettings.DataDirectorySetting] is { Length: > 0 } dir ? dir : ".data", builder.Environment.ContentRootPath);
        using var loggerFactory = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true));
        var startupLog = loggerFactory.CreateLogger("CompanyHub.Startup");

        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxRequestBody);
        var hub = ReadHubOptions(configuration, dataDirectory);
        builder.Services.Configure<HubOptions>(o =>
        {
            o.PublicBaseUrl = hub.PublicBaseUrl;
            o.AllowedEmailDomains = hub.AllowedEmailDomains;
            o.InviteExpiry = hub.InviteExpiry;
            o.SelfServiceRequiresApproval = hub.SelfServiceRequiresApproval;
            o.DataDirectory = hub.DataDirectory;
            o.CompanyName = hub.CompanyName;
            o.PersonLimits = hub.PersonLimits;
        });
        builder.Services.Configure<ApprovalOptions>(o =>
        {
            // Per hub, not process-wide: two hubs in one process (tests) keep their own expiry.
            if (double.TryParse(configuration["Approvals:ExpiryDays"], System.Globalization.CultureInfo.InvariantCulture, out var days) && days > 0)
            {
                o.Expiry = TimeSpan.FromDays(days);
            }

            if (double.TryParse(configuration["Grants:UndoSeconds"], System.Globalization.CultureInfo.InvariantCulture, out var undo) && undo >= 0)
            {
                o.GrantUndoWindow = TimeSpan.FromSeconds(undo);
            }

            if (double.TryParse(configuration["Grants:InverseHours"], System.Globalization.CultureInfo.InvariantCulture, out var inverse) && inverse > 0)
            {
                o.GrantInverseWindow = TimeSpan.FromHours(inverse);
            }
        });

        builder.Services.Configure<NotificationOptions>(o =>
        {
            if (double.TryParse(configuration["Notifications:BatchSeconds"], System.Globalization.CultureInfo.InvariantCulture, out var batch) && batch >= 0)
            {
                o.BatchWindow = TimeSpan.FromSeconds(batch);
            }

            if (double.TryParse(configuration["Notifications:ReminderHours"], System.Globalization.CultureInfo.InvariantCulture, out var hours) && hours > 0)
            {
                o.ReminderInterval = TimeSpan.FromHours(hours);
            }
        });

        var keys = builder.Services.AddHubSecurity(configuration, dataDirectory, startupLog);
        builder.AddHubTelemetry(hub.PublicBaseUrl);
        builder.Services.TryAddSingleton(new HubConsole(Console.Out));

        // Before anything opens a database: a fresh machine restores its state from the newest good snapshot.
        var environment = Registered<FunctionsHostEnvironment>(builder.Services).Single();
        builder.Services.AddHubBackups(configuration, keys, dataDirectory, environment.DatabasePath, startupLog);
        AddAuditLog(builder.Services, dataDirectory);
        if (Registered<SharedPostgresDatabase>(builder.Services).SingleOrDefault() is { } shared)
        {
            builder.Services.AddSingleton<IConversationArchive>(new PostgresConversationArchive(shared));
            builder.Services.AddSingleton<IKnowledgeBase>(new PostgresKnowledgeBase(shared));
        }
        else
        {
            builder.Services.AddSingleton<IConversationArchive>(new SqliteConversationArchive(Path.Combine(dataDirectory, ConversationsFile)));
            builder.Services.AddSingleton<IKnowledgeBase>(new SqliteKnowledgeBase(Path.Combine(dataDirectory, KnowledgeFile)));
        }

        builder.Services.Configure<LlmOptions>(o =>
        {
            o.ApiKey = configuration["REDPILL_API_KEY"] is { Length: > 0 } key ? key : configuration["LLM_API_KEY"];
            if (configuration["LLM_BASE_URL"] is { Length: > 0 } baseUrl)
            {
                o.BaseUrl = baseUrl;
            }

            if (configuration["LLM_MODEL"] is { Length: > 0 } model)
            {
                o.Model = model;
            }

            if (double.TryParse(configuration["LLM_TIMEOUT_SECONDS"], System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
            {
                o.Timeout = TimeSpan.FromSeconds(seconds);
            }
        });
        builder.Services.AddSingleton<ILlmClient, OpenAiLlmClient>();
        builder.Services.AddCompanyTools(configuration);
        builder.Services.AddHostedService<OrchestratorBootstrap>();
        builder.Services.AddSingleton<AgentChat>();
        builder.Services.AddSingleton<TelegramChannel>();
        builder.Services.AddHostedService<TelegramBotService>();
        DevSignIn.Parse(configuration[DevSignIn.Setting]);
        builder.Services.AddSingleton<DevSignIn>();
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton<UnsavedSignIns>();
        builder.Services.Configure<Live.LiveEventsOptions>(o =>
        {
            if (double.TryParse(configuration["LiveEvents:HeartbeatSeconds"], System.Globalization.CultureInfo.InvariantCulture, out var heartbeat) && heartbeat > 0)
            {
                o.Heartbeat = TimeSpan.FromSeconds(heartbeat);
            }
        });
        builder.Services.AddSingleton<Live.StoreChangeSignals>();
        builder.Services.AddSingleton<Live.AdminFeed>();

        AddDurableTasks(builder.Services, functions);
    }

    /// <summary>
    /// Checks the hub's SQLite files (the store's and the app's own) before it runs: a damaged one throws
    /// <see cref="Serverless.DurableTask.StoreCorruptException"/> naming it, instead of failing later in the middle of
    /// work. Not part of <see cref="Build"/>, so that the backup commands can still restore over a damaged file.
    /// </summary>
    public static void CheckDataFiles(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var dataDirectory = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HubOptions>>().Value.DataDirectory;
        var files = new[] { app.Services.GetRequiredService<FunctionsHostEnvironment>().DatabasePath, Path.Combine(dataDirectory, AuditFile), Path.Combine(dataDirectory, ConversationsFile), Path.Combine(dataDirectory, KnowledgeFile) };
        foreach (var file in files.OfType<string>())
        {
            Serverless.DurableTask.Sqlite.SqliteFaults.ThrowIfCorrupt(file);
        }
    }

    /// <summary>The instances registered (as objects, not factories) for <typeparamref name="T"/> while the app is composed.</summary>
    private static IEnumerable<T> Registered<T>(IServiceCollection services) =>
        services.Where(d => !d.IsKeyedService).Select(d => d.ImplementationInstance).OfType<T>();

    public static void UseCompanyHub(this WebApplication app)
    {
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStarted.Register(() =>
        {
            // The admin's way in. Printed to the console only (never to a log sink), once, at start-up.
            var console = app.Services.GetRequiredService<HubConsole>().Out;
            var keys = app.Services.GetRequiredService<KeyRing>();
            var hub = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HubOptions>>().Value;
            console.WriteLine();
            console.WriteLine($"Admin dashboard: {hub.Link("/?token=" + keys.AdminToken)}");
            console.WriteLine("(keep this link secret: it reaches everything; it is derived from the master key)");
            var tee = app.Services.GetRequiredService<CompanyHub.Integrations.Dstack.TeeEnvironment>();
            console.WriteLine($"Hub identity:    {keys.HubId}");
            console.WriteLine($"Attestation:     {hub.Link("/api/attestation?nonce=<hex>")}  ({(tee.Agent is { } agent ? "TEE: dstack guest agent at " + agent.Endpoint.Description : "not in a TEE: answers 501")})");
            var devSignIn = app.Services.GetRequiredService<DevSignIn>().Current();
            console.WriteLine(devSignIn.Description);
            if (devSignIn.BeyondLoopback)
            {
                app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CompanyHub.Startup").LogWarning("{DevSignIn}", devSignIn.Description);
            }

            WriteRecoveryKey(console, app.Services.GetRequiredService<BackupService>(), app.Services.GetRequiredService<RecoveryKeyFile>());
            console.WriteLine();
        });

        // An answer without a body (405 from routing, 404 for an unknown path, ...) becomes problem+json like every other error.
        app.UseStatusCodePages();
        app.UseHubSecurity();
        app.UseDefaultFiles();

        // The dashboard's modules import each other: a browser must revalidate them (cheap, by ETag) so that after an
        // upgrade it never mixes old and new files.
        app.UseStaticFiles(new StaticFileOptions { OnPrepareResponse = file => file.Context.Response.Headers.CacheControl = "no-cache" });
        app.MapOnboardingPages();
    }

    /// <summary>
    /// The recovery key made at this start, shown this once (the console, like the admin link: never a log sink); at
    /// later starts only its id, to compare with the copy the admin keeps.
    /// </summary>
    private static void WriteRecoveryKey(TextWriter console, BackupService backups, RecoveryKeyFile recovery)
    {
        if (!backups.Enabled)
        {
            return;
        }

        if (recovery.TakeNewKey() is { } created)
        {
            console.WriteLine($"Recovery key:    {created.Text}  (id {created.PublicKey.KeyId})");
            console.WriteLine("(shown this once: write it down and keep it offline, away from this hub. With the S3 bucket it restores the snapshots");
            console.WriteLine(" on a new deployment under any root key: backups restore --recovery-key, or BACKUP_RECOVERY_KEY at start-up. docs/backups.md)");
        }
        else if (recovery.Current is { } current)
        {
            console.WriteLine($"Recovery key id: {current.KeyId}  (made {current.CreatedAt:yyyy-MM-dd}; the key itself was shown once; a new one: POST /api/admin/backups/recovery-key)");
        }
        else
        {
            console.WriteLine("Recovery key:    none yet (no snapshot could be restored); restore with the recovery key, or make a new one with POST /api/admin/backups/recovery-key before backing up.");
        }
    }

    private static HubOptions ReadHubOptions(IConfiguration configuration, string dataDirectory)
    {
        var options = new HubOptions { DataDirectory = dataDirectory };
        if (configuration["PUBLIC_BASE_URL"] is { Length: > 0 } publicUrl)
        {
            if (!Uri.TryCreate(publicUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new KeyConfigurationException($"PUBLIC_BASE_URL must be an absolute http(s) URL, e.g. https://hub.company.com (got '{publicUrl}').");
            }

            options.PublicBaseUrl = publicUrl.TrimEnd('/');
        }
        else if (configuration["urls"] is { Length: > 0 } urls && urls.Split(';')[0] is var first && first.StartsWith("http", StringComparison.Ordinal))
        {
            options.PublicBaseUrl = first.TrimEnd('/');
        }

        options.AllowedEmailDomains = (configuration["ALLOWED_EMAIL_DOMAINS"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (double.TryParse(configuration["Onboarding:InviteExpiryHours"], System.Globalization.CultureInfo.InvariantCulture, out var hours) && hours > 0)
        {
            options.InviteExpiry = TimeSpan.FromHours(hours);
        }

        options.SelfServiceRequiresApproval = configuration["Onboarding:SelfServiceRequiresApproval"]?.Trim().ToLowerInvariant() switch
        {
            null or "" or "false" => false,
            "true" => true,
            var other => throw new KeyConfigurationException($"Onboarding:SelfServiceRequiresApproval must be true or false (got '{other}')."),
        };
        if (configuration["COMPANY_NAME"] is { Length: > 0 } company)
        {
            options.CompanyName = company;
        }

        options.PersonLimits = PersonLimits.Read(configuration);

        return options;
    }
}
