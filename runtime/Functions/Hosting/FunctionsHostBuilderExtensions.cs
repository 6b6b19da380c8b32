using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Serverless.Functions.Configuration;
using Serverless.Functions.Indexing;
using Serverless.Functions.Management;
using Serverless.Functions.Security;
using Serverless.Functions.Timers;

namespace Serverless.Functions.Hosting;

/// <summary>Adds the functions host to a web application: <c>builder.AddFunctionsHost(typeof(Program).Assembly)</c>, then <c>app.MapFunctions()</c>.</summary>
public static class FunctionsHostBuilderExtensions
{
    /// <summary>The setting that moves the data directory (default <c>.data</c> under the content root).</summary>
    public const string DataDirectorySetting = "Host:DataDirectory";

    /// <summary>Adds the host with the functions of <paramref name="appAssembly"/>.</summary>
    public static IFunctionsHostBuilder AddFunctionsHost(this WebApplicationBuilder builder, Assembly appAssembly)
    {
        ArgumentNullException.ThrowIfNull(appAssembly);
        return builder.AddFunctionsHost(o => o.Assemblies.Add(appAssembly));
    }

    /// <summary>
    /// Adds the host: reads local.settings.json (into configuration, below environment variables) and host.json,
    /// discovers the functions, and registers the durable worker, its store and client, the timer scheduler and the
    /// start-up printout. Throws a <see cref="FunctionsHostException"/> that names each problem when the app cannot run.
    /// </summary>
    public static IFunctionsHostBuilder AddFunctionsHost(this WebApplicationBuilder builder, Action<FunctionsHostOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new FunctionsHostOptions();
        configure(options);
        var configuration = builder.Configuration;
        var contentRoot = builder.Environment.ContentRootPath;

        var localSettingsPath = Path.GetFullPath(options.LocalSettingsPath ?? "local.settings.json", contentRoot);
        var local = LocalSettings.Load(localSettingsPath);
        if (local is not null)
        {
            AddBelowEnvironment(configuration, local.ToConfiguration());
            if (options.ExportLocalSettingsToEnvironment)
            {
                foreach (var (name, value) in local.Values.Where(v => Environment.GetEnvironmentVariable(v.Key) is null))
                {
                    Environment.SetEnvironmentVariable(name, value);
                }
            }
        }

        var hostJsonPath = Path.GetFullPath(options.HostJsonPath ?? "host.json", contentRoot);
        var hostJson = HostJson.Load(hostJsonPath, name => configuration[name], configuration.GetSection(HostJson.OverrideSection).AsEnumerable(makePathsRelative: true));
        AddBelowEnvironment(configuration, hostJson.LogLevels.Select(l => new KeyValuePair<string, string?>($"Logging:LogLevel:{l.Key}", l.Value.ToString())));

        var dataDirectory = Path.GetFullPath(configuration[DataDirectorySetting] is { Length: > 0 } dir ? dir : ".data", contentRoot);

        // Before anything writes there: every file the process creates from now on is its user's alone.
        var privacy = PrivateDataDirectory.Prepare(dataDirectory);
        var environment = new FunctionsHostEnvironment(contentRoot, dataDirectory, hostJson, File.Exists(hostJsonPath) ? hostJsonPath : null, local is null ? null : localSettingsPath);
        var storage = hostJson.DurableTask.StorageProvider;
        if (!options.StorageProviders.TryGetValue(storage.Type, out var provider))
        {
            throw new HostJsonException("$.extensions.durableTask.storageProvider.type", $"the '{storage.Type}' storage provider is not available in this build (no store is registered for it); use \"sqlite\".");
        }

        var types = options.Assemblies.SelectMany(LoadableTypes).Concat(options.FunctionTypes);
        var indexer = new FunctionIndexer(configuration, hostJson.RoutePrefix, hostJson.DurableTask.HubName);
        var catalog = indexer.Index(types);
        if (indexer.Errors.Count > 0)
        {
            throw new FunctionsStartupException(indexer.Errors);
        }

        var keys = HostKeys.Resolve(configuration[HostKeys.SettingName], dataDirectory);
        // The postgres provider always needs a connection: without a name in host.json it reads its default setting.
        var connectionString = (storage.ConnectionStringName ?? (storage.Type == "postgres" ? PostgresStorageProvider.DefaultConnectionStringName : null)) is { } connectionName
            ? NonEmpty(configuration.GetConnectionString(connectionName)) ?? NonEmpty(configuration[connectionName])
                ?? throw new HostJsonException("$.extensions.durableTask.storageProvider.connectionStringName", $"names '{connectionName}', but neither the connection string nor the app setting '{connectionName}' is set (or it is empty).")
            : null;

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(environment);
        services.AddSingleton(privacy);
        services.AddHostedService<PrivateDataDirectory.Logger>();
        services.AddSingleton(keys);
        services.AddSingleton(catalog);
        services.TryAddSingleton(TimeProvider.System);
        var (worker, client) = DurableTaskRegistration.Add(services, catalog, hostJson.DurableTask);
        provider(new StorageProviderContext(worker, client, storage, connectionString, environment));

        var grace = hostJson.DurableTask.ShutdownGracePeriod ?? TimeSpan.FromSeconds(10);
        services.Configure<HostOptions>(o => o.ShutdownTimeout = grace + TimeSpan.FromSeconds(5) > o.ShutdownTimeout ? grace + TimeSpan.FromSeconds(5) : o.ShutdownTimeout);
        services.AddSingleton<FunctionExecutor>();
        services.AddSingleton<IFunctionsAuthorizationHandler, HostKeyAuthorizationHandler>();
        services.AddScoped<FunctionsAuthorizer>();
        services.AddSingleton<ManagementUrls>();
        services.AddSingleton<DurableManagementApi>();
        // Problems written without a detail (status-code pages for 404 and 405, ...) still say what went wrong.
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c => c.ProblemDetails.Detail ??= c.ProblemDetails.Status switch
        {
            StatusCodes.Status404NotFound => "There is nothing at this address.",
            StatusCodes.Status405MethodNotAllowed => $"This address does not take {c.HttpContext.Request.Method} requests.",
            var status => $"The request was refused ({status}).",
        });
        services.AddMvcCore();
        if (catalog.Of(FunctionTriggerType.Timer).Any())
        {
            services.AddHostedService<TimerScheduler>();
        }

        if (options.PrintBanner)
        {
            services.AddHostedService<StartupBanner>();
        }

        if (string.IsNullOrEmpty(configuration[WebHostDefaults.ServerUrlsKey]) && string.IsNullOrEmpty(configuration["http_ports"]) && string.IsNullOrEmpty(configuration["https_ports"]))
        {
            builder.WebHost.UseUrls(local?.LocalHttpPort is { } port ? $"http://127.0.0.1:{port}" : options.DefaultUrl);
        }

        return new FunctionsHostBuilder(services, worker);
    }

    /// <summary>Adds settings just below the environment variables, so environment variables and the command line override them.</summary>
    private static void AddBelowEnvironment(IConfigurationBuilder configuration, IEnumerable<KeyValuePair<string, string?>> values)
    {
        var data = values.ToList();
        if (data.Count == 0)
        {
            return;
        }

        var sources = configuration.Sources;
        var index = -1;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is EnvironmentVariablesConfigurationSource { Prefix: null or "" })
            {
                index = i;
            }
        }

        var source = new MemoryConfigurationSource { InitialData = data };
        if (index < 0)
        {
            sources.Add(source);
        }
        else
        {
            sources.Insert(index, source);
        }
    }

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.OfType<Type>();
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
