using CompanyHub.Activities;
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

    public static async Task<AppHub> StartAsync(IProposalActionRunner runner, string? directory = null)
    {
        var dir = directory ?? Path.Combine(Path.GetTempPath(), "hub-app-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(runner);
        builder.Services.AddSingleton<IAuditLog>(new SqliteAuditLog(Path.Combine(dir, "audit.db")));
        builder.Services.AddDurableTaskWorker(b => b
            .AddTasks(r => CompanyHubTasks.Register(r))
            .Configure(o => o.HubName = "app")
            .UseSqlite(s => s.DatabasePath = Path.Combine(dir, "hub.db")));
        var host = builder.Build();
        await host.StartAsync();
        return new AppHub(host, dir);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
