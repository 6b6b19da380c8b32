using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.DurableTask.Sqlite;
using Serverless.DurableTask.Worker;
using Serverless.Functions.Hosting;
using Serverless.Host.Tests.Infrastructure;

namespace Serverless.Host.Tests;

public sealed class HostJsonMappingTests
{
    [Fact]
    public void AddFunctionsHost_HostJson_MapsOntoWorkerAndStoreOptions()
    {
        var app = FunctionsTestHost.Build([], """
            {
              "version": "2.0",
              "extensions": {
                "durableTask": {
                  "hubName": "Mapped",
                  "storageProvider": { "type": "sqlite", "connectionStringName": "HubDb", "synchronous": "normal" },
                  "maxConcurrentActivityFunctions": 3,
                  "maxConcurrentOrchestratorFunctions": 5,
                  "extendedSessionsEnabled": false,
                  "extendedSessionIdleTimeoutInSeconds": 12,
                  "retention": "-1",
                  "shutdownGracePeriod": "00:00:25"
                }
              }
            }
            """, null, null, new Dictionary<string, string?> { ["ConnectionStrings:HubDb"] = "Data Source=db/hub.db" }, null, out var directory, out _);

        var worker = app.Services.GetRequiredService<IOptions<StoreDurableTaskWorkerOptions>>().Value;
        Assert.Equal("Mapped", worker.HubName);
        Assert.Equal(3, worker.MaxConcurrentActivityFunctions);
        Assert.Equal(5, worker.MaxConcurrentOrchestratorFunctions);
        Assert.False(worker.ExtendedSessionsEnabled);
        Assert.Equal(TimeSpan.FromSeconds(12), worker.ExtendedSessionIdleTimeout);
        Assert.Equal(Timeout.InfiniteTimeSpan, worker.Retention);
        Assert.Equal(TimeSpan.FromSeconds(25), worker.ShutdownGracePeriod);
        Assert.True(app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout >= TimeSpan.FromSeconds(30));
        var store = app.Services.GetRequiredService<IOptions<SqliteStoreOptions>>().Value;
        Assert.Equal(Path.Combine(directory, "db", "hub.db"), store.DatabasePath);
        Assert.Equal(SqliteSynchronousMode.Normal, store.Synchronous);
        Assert.Equal(store.DatabasePath, app.Services.GetRequiredService<FunctionsHostEnvironment>().DatabasePath);
    }

    [Fact]
    public void AddFunctionsHost_NoStorageSettings_UsesHubFileInDataDirectory()
    {
        var app = FunctionsTestHost.Build([], FunctionsTestHost.DefaultHostJson, null, null, null, null, out var directory, out _);

        var environment = app.Services.GetRequiredService<FunctionsHostEnvironment>();
        Assert.Equal(Path.Combine(directory, ".data"), environment.DataDirectory);
        Assert.Equal(Path.Combine(directory, ".data", "test.db"), app.Services.GetRequiredService<IOptions<SqliteStoreOptions>>().Value.DatabasePath);
    }

    [Fact]
    public void AddFunctionsHost_DataDirectorySetting_MovesTheDatabase()
    {
        var app = FunctionsTestHost.Build([], FunctionsTestHost.DefaultHostJson, null, null, new Dictionary<string, string?> { ["Host:DataDirectory"] = "state" }, null, out var directory, out _);

        Assert.Equal(Path.Combine(directory, "state", "test.db"), app.Services.GetRequiredService<IOptions<SqliteStoreOptions>>().Value.DatabasePath);
        Assert.True(File.Exists(Path.Combine(directory, "state", "host-admin.key")) || app.Services.GetRequiredService<Serverless.Functions.Security.HostKeys>().Source.StartsWith("setting", StringComparison.Ordinal));
    }
}

public sealed class HostBuilderTests
{
    [Fact]
    public void AddFunctionsHost_LoggingLogLevel_BecomesLoggingConfigurationBelowEnvironment()
    {
        var app = FunctionsTestHost.Build([], """{ "version": "2.0", "logging": { "logLevel": { "default": "Warning", "Function.SayHello": "Debug" } } }""", null, null, null, null, out _, out _);

        var configuration = app.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();

        Assert.Equal("Warning", configuration["Logging:LogLevel:Default"]);
        Assert.Equal("Debug", configuration["Logging:LogLevel:Function.SayHello"]);
    }

    [Fact]
    public async Task AddTasks_CodeRegisteredOrchestrator_RunsBesideDiscoveredFunctions()
    {
        await using var host = await FunctionsTestHost.StartAsync(
            [typeof(Sample.HelloSequence)],
            functions: f => f.AddTasks(r => r.AddOrchestratorFunc<string, string>("Shout", async (ctx, input) => await ctx.CallActivityAsync<string>("SayHello", input.ToUpperInvariant()))));

        var id = await host.DurableClient.ScheduleNewOrchestrationInstanceAsync("Shout", "bob");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var done = await host.DurableClient.WaitForInstanceCompletionAsync(id, true, cts.Token);

        Assert.Equal("Hello BOB!", done.ReadOutputAs<string>());
        Assert.Contains("        Shout: orchestrationTrigger (registered in code)", host.Banner.ToString(), StringComparison.Ordinal);
    }
}
