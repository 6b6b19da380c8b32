using System.Reflection;

namespace Serverless.Functions.Hosting;

/// <summary>Options of <see cref="FunctionsHostBuilderExtensions.AddFunctionsHost(Microsoft.AspNetCore.Builder.WebApplicationBuilder, Action{FunctionsHostOptions})"/>.</summary>
public sealed class FunctionsHostOptions
{
    /// <summary>Gets the assemblies searched for functions (every type in them).</summary>
    public IList<Assembly> Assemblies { get; } = [];

    /// <summary>Gets individual types searched for functions, in addition to <see cref="Assemblies"/>.</summary>
    public IList<Type> FunctionTypes { get; } = [];

    /// <summary>Gets or sets the host.json file. Default is <c>host.json</c> in the content root; a missing file means defaults.</summary>
    public string? HostJsonPath { get; set; }

    /// <summary>Gets or sets the local.settings.json file. Default is <c>local.settings.json</c> in the content root; optional.</summary>
    public string? LocalSettingsPath { get; set; }

    /// <summary>Gets or sets whether local.settings.json values are also set as environment variables (those not set already). Default is true, as <c>func start</c> does.</summary>
    public bool ExportLocalSettingsToEnvironment { get; set; } = true;

    /// <summary>Gets or sets the URL the host listens on when neither <c>--urls</c>, <c>ASPNETCORE_URLS</c> nor local.settings.json's <c>Host.LocalHttpPort</c> say otherwise. Default is <c>http://127.0.0.1:18789</c>.</summary>
    public string DefaultUrl { get; set; } = "http://127.0.0.1:18789";

    /// <summary>Gets or sets whether the function list is printed when the host has started. Default is true.</summary>
    public bool PrintBanner { get; set; } = true;

    /// <summary>Gets or sets where the printout goes. Default is the console.</summary>
    public TextWriter? BannerWriter { get; set; }

    /// <summary>
    /// Gets the storage providers by host.json <c>storageProvider.type</c>. "sqlite" and "postgres" are built in; a provider added here
    /// configures the worker's store (and, for timers, an <see cref="Timers.ITimerScheduleStore"/>).
    /// </summary>
    public IDictionary<string, Action<StorageProviderContext>> StorageProviders { get; } =
        new Dictionary<string, Action<StorageProviderContext>>(StringComparer.OrdinalIgnoreCase) { ["sqlite"] = SqliteStorageProvider.Configure, ["postgres"] = PostgresStorageProvider.Configure };
}
