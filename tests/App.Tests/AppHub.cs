using CompanyHub.Activities;
using CompanyHub.Integrations.Llm;
using CompanyHub.Integrations.Storage;
using System.Text.Json.Nodes;
using CompanyHub.Orchestrations;
using CompanyHub.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serverless.DurableTask.Client;
using Serverless.DurableTask.Worker;

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

    public static async Task<AppHub> StartAsync(IProposalActionRunner runner, string? directory = null, string? llmBaseUrl = null, IReadToolRunner? reads = null, TimeSpan? llmTimeout = null)
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
        builder.Services.AddDurableTaskWorker(b => b
            .AddTasks(r => CompanyHubTasks.Register(r))
            .Configure(o =>
            {
                o.HubName = "app";
                o.ShutdownGracePeriod = TimeSpan.FromSeconds(1);
            })
            .UseSqlite(s => s.DatabasePath = Path.Combine(dir, "hub.db")));
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
