using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.DurableTask;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Functions.Indexing;
using Serverless.Functions.Management;
using Serverless.Functions.Security;

namespace Serverless.Functions.Hosting;

/// <summary>
/// Prints what <c>func start</c> prints once the server listens: each function with its trigger (and for HTTP its
/// methods and full URL), then the data directory, the store and the admin URL. The host key itself is never printed.
/// </summary>
internal sealed class StartupBanner(
    FunctionCatalog catalog,
    FunctionsHostEnvironment environment,
    HostKeys keys,
    IServer server,
    IHostApplicationLifetime lifetime,
    IHostEnvironment hostEnvironment,
    FunctionsHostOptions options,
    IOptionsMonitor<DurableTaskRegistry> registries,
    ILogger<StartupBanner> logger) : IHostedService
{
    private DurableTaskRegistry Registry => registries.Get(Options.DefaultName);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var writer = options.BannerWriter ?? Console.Out;
            writer.Write(Render(ListeningAddresses()));
            writer.Flush();
            logger.HostStarted(catalog.Functions.Count(f => f.Trigger is FunctionTriggerType.Http or FunctionTriggerType.Timer) + Registry.GetOrchestrators().Count() + Registry.GetActivities().Count() + Registry.GetEntities().Count(), environment.HubName, environment.StorageDescription);
        });
        lifetime.ApplicationStopping.Register(() => logger.HostStopping(environment.HostJson.DurableTask.ShutdownGracePeriod ?? TimeSpan.FromSeconds(10)));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal IReadOnlyList<string> ListeningAddresses() =>
        server.Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    internal string Render(IReadOnlyList<string> addresses)
    {
        var baseUrl = BaseUrl(addresses);
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{hostEnvironment.ApplicationName}: functions host, task hub '{environment.HubName}'");
        text.AppendLine();
        var entries = catalog.Functions.Select(f => (f.Name, Line: Describe(f, baseUrl)))
            .Concat(catalog.ClassTasks.Select(c => (c.Name, Line: $"{Trigger(c.Kind)} (class {c.Type.Name})")))
            .ToList();
        var listed = entries.Select(e => e.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        entries.AddRange(Registry.GetOrchestrators().Select(k => k.Key.Name).Where(n => !listed.Contains(n)).Select(n => (n, $"{Trigger(FunctionTriggerType.Orchestration)} (registered in code)")));
        entries.AddRange(Registry.GetActivities().Select(k => k.Key.Name).Where(n => !listed.Contains(n)).Select(n => (n, $"{Trigger(FunctionTriggerType.Activity)} (registered in code)")));
        entries.AddRange(Registry.GetEntities().Select(k => k.Key.Name).Where(n => !listed.Contains(n)).Select(n => (n, $"{Trigger(FunctionTriggerType.Entity)} (registered in code)")));
        entries = entries.OrderBy(e => e.Name, StringComparer.OrdinalIgnoreCase).ToList();
        if (entries.Count == 0)
        {
            text.AppendLine("No job functions found. Add public methods marked [Function] (or [DurableTask] classes) to the app assembly.");
            text.AppendLine();
        }
        else
        {
            text.AppendLine("Functions:");
            text.AppendLine();
            foreach (var (name, line) in entries)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"        {name}: {line}");
                text.AppendLine();
            }
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"Data directory: {environment.DataDirectory}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Storage:        {environment.StorageDescription}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Admin API:      {baseUrl}{ManagementUrls.BasePath}/instances  (host key in header {HostKeys.HeaderName} or ?{HostKeys.QueryName}=; key from {keys.Source})");
        text.AppendLine(CultureInfo.InvariantCulture, $"Health:         {baseUrl}/healthz  {baseUrl}/readyz");
        text.AppendLine(CultureInfo.InvariantCulture, $"Settings:       host.json {Found(environment.HostJsonPath)}, local.settings.json {Found(environment.LocalSettingsPath)}");
        text.AppendLine();
        return text.ToString();
    }

    private static string Found(string? path) => path is null ? "(not found, defaults)" : $"({path})";

    private static string Describe(FunctionDescriptor function, string baseUrl) => function.Trigger switch
    {
        FunctionTriggerType.Http => $"[{(function.HttpMethods.Count == 0 ? "ALL" : string.Join(',', function.HttpMethods))}] {baseUrl}/{function.RouteTemplate}",
        FunctionTriggerType.Timer => $"timerTrigger ({function.Schedule}, next {function.Schedule!.GetNextOccurrence(DateTime.UtcNow):yyyy-MM-dd'T'HH:mm:ss'Z'})",
        _ => Trigger(function.Trigger),
    };

    private static string Trigger(FunctionTriggerType kind) => kind switch
    {
        FunctionTriggerType.Orchestration => "orchestrationTrigger",
        FunctionTriggerType.Activity => "activityTrigger",
        FunctionTriggerType.Entity => "entityTrigger",
        FunctionTriggerType.Timer => "timerTrigger",
        _ => "httpTrigger",
    };

    private static string BaseUrl(IReadOnlyList<string> addresses)
    {
        var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? addresses.FirstOrDefault();
        if (address is null)
        {
            return "http://localhost";
        }

        // Wildcard bindings are reachable as localhost from the machine itself.
        return address.TrimEnd('/')
            .Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
            .Replace("://[::]", "://localhost", StringComparison.Ordinal);
    }
}
