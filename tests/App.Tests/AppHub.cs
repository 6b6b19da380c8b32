using Serverless.DurableTask.Client;
using Serverless.DurableTask.Worker;
using CompanyHub.Activities;
using CompanyHub.Integrations.Llm;
using CompanyHub.Integrations.Storage;
using System.Text.Json.Nodes;
using CompanyHub.Orchestrations;
using CompanyHub.Security;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Tests;

/// <summary>The app's orchestrations, activities and entities on a real SQLite file, without HTTP.</summary>
public sealed class AppHub : IAsyncDisposable
{
    private readonly IHost _host;

    private AppHub(IHost host, string directory)
    {
        _host = host;
        Directory = directory;
    }

    public string Directory { get; }

    public DurableTaskClient Client => _host.Services.GetRequiredService<DurableTaskClient>();

    public IAuditLog Audit => _host.Services.GetRequiredService<IAuditLog>();

    public RecordingMailer Mailer => _host.Services.GetRequiredService<RecordingMailer>();

    public SecretBox Box => _host.Services.GetRequiredService<SecretBox>();

    public static async Task<AppHub> StartAsync(IProposalActionRunner runner, string? directory = null, string? llmBaseUrl = null, IReadToolRunner? reads = null, TimeSpan? llmTimeout = null, TimeSpan? inviteExpiry = null)
    {
        var dir = directory ?? Path.Combine(Path.GetTempPath(), "hub-app-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(runner);
        builder.Services.AddSingleton<IAuditLog>(new SqliteAuditLog(Path.Combine(dir, "audit.db")));
        builder.Services.AddSingleton<IConversationArchive>(new SqliteConversationArchive(Path.Combine(dir, "conversations.db")));
        builder.Services.Configure<LlmOptions>(o =>
        {
            o.ApiKey = llmBaseUrl is null ? null : "test-llm-key";
            o.BaseUrl = llmBaseUrl ?? "http://127.0.0.1:1/v1";
            o.Model = "test-model";
            o.Timeout = llmTimeout ?? TimeSpan.FromSeconds(10);
        });
        builder.Services.AddSingleton<ILlmClient, OpenAiLlmClient>();
        builder.Services.AddSingleton(reads ?? new NoReads());
        var keys = new KeyRing(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        builder.Services.AddSingleton(keys);
        builder.Services.AddSingleton(new SecretBox(keys));
        builder.Services.Configure<HubOptions>(o =>
        {
            o.PublicBaseUrl = "https://hub.example.com";
            o.AllowedEmailDomains = ["example.com"];
            o.InviteExpiry = inviteExpiry ?? TimeSpan.FromDays(7);
            o.DataDirectory = dir;
        });
        builder.Services.AddSingleton<RecordingMailer>();
        builder.Services.AddSingleton<IOnboardingMailer>(sp => sp.GetRequiredService<RecordingMailer>());
        builder.Services.AddSingleton<DataConverter>(HubJson.Converter);

        // Microsoft's worker and client over the runtime's SQLite store (UseSqlite: the runtime's builder extensions;
        // the hub name and the shutdown grace period are the runtime's settings).
        builder.Services.AddDurableTaskWorker(b => b
            .AddTasks(r => CompanyHubTasks.Register(r))
            .ConfigureStore(o =>
            {
                o.HubName = "app";
                o.ShutdownGracePeriod = TimeSpan.FromSeconds(1);
            })
            .UseSqlite(s => s.DatabasePath = Path.Combine(dir, "hub.db")));
        builder.Services.AddDurableTaskClient(b => b.UseSqlite(s => s.DatabasePath = Path.Combine(dir, "hub.db")));
        var host = builder.Build();
        await host.StartAsync();
        return new AppHub(host, dir);
    }

    public IServiceProvider Services => _host.Services;

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>A read-tool runner that knows no tools.</summary>
public sealed class NoReads : IReadToolRunner
{
    public Task<string> RunAsync(string agentId, string tool, JsonObject arguments, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"{tool} is not available in this test.");
}

/// <summary>Records onboarding emails instead of sending them.</summary>
public sealed class RecordingMailer : IOnboardingMailer
{
    public System.Collections.Concurrent.ConcurrentQueue<(string Kind, string Email, string Link)> Sent { get; } = new();

    public Task<string?> SendInviteAsync(string email, string name, string inviteLink, DateTimeOffset expiresAt, string idempotencyKey, CancellationToken cancellationToken)
    {
        Sent.Enqueue(("invite", email, inviteLink));
        return Task.FromResult<string?>(null);
    }

    public Task<string?> SendReadyAsync(string email, string name, string dashboardLink, string idempotencyKey, CancellationToken cancellationToken)
    {
        Sent.Enqueue(("ready", email, dashboardLink));
        return Task.FromResult<string?>(null);
    }
}
