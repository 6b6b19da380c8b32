using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serverless.DurableTask.Client;
using Serverless.DurableTask.Worker;

namespace Serverless.Runtime.Tests;

/// <summary>A worker and client over a real SQLite file in a fresh temp directory.</summary>
public sealed class TestHub : IAsyncDisposable
{
    private readonly IHost _host;

    private TestHub(IHost host, string directory)
    {
        _host = host;
        Directory = directory;
    }

    public string Directory { get; }

    public IServiceProvider Services => _host.Services;

    public DurableTaskClient Client => _host.Services.GetRequiredService<DurableTaskClient>();

    public DurableTaskWorker Worker => _host.Services.GetRequiredService<DurableTaskWorker>();

    public static string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hub-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        return dir;
    }

    public static async Task<TestHub> StartAsync(Action<DurableTaskRegistry> tasks, Action<DurableTaskWorkerOptions>? options = null, string? directory = null)
    {
        var dir = directory ?? NewDirectory();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddDurableTaskWorker(b => b
            .AddTasks(tasks)
            .Configure(o =>
            {
                o.HubName = "test";
                o.ShutdownGracePeriod = TimeSpan.FromSeconds(2);
                options?.Invoke(o);
            })
            .UseSqlite(s => s.DatabasePath = Path.Combine(dir, "test.db")));
        var host = builder.Build();
        await host.StartAsync();
        return new TestHub(host, dir);
    }

    public async Task StopAsync() => await _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
