using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Serverless.Functions;
using Serverless.Functions.Configuration;

namespace Serverless.Host.Tests;

public sealed class HostJsonTests
{
    private static readonly Func<string, string?> NoSettings = _ => null;

    [Fact]
    public void Parse_MinimalFile_GivesDefaults()
    {
        var options = HostJson.Parse("""{ "version": "2.0" }""", NoSettings);

        Assert.Equal("api", options.RoutePrefix);
        Assert.Equal("CompanyHub", options.DurableTask.HubName);
        Assert.Equal("sqlite", options.DurableTask.StorageProvider.Type);
        Assert.Equal(TimeSpan.FromMinutes(30), options.FunctionTimeout);
        Assert.Null(options.DurableTask.MaxConcurrentActivityFunctions);
    }

    [Fact]
    public void Parse_FullFile_MapsEverySetting()
    {
        var json = """
            {
              // comments and trailing commas are allowed, as in Azure Functions
              "$schema": "http://json.schemastore.org/host",
              "version": "2.0",
              "functionTimeout": "-1",
              "logging": { "logLevel": { "default": "Warning", "Function.SayHello": "Debug" } },
              "extensions": {
                "http": { "routePrefix": "/v1/" },
                "durableTask": {
                  "hubName": "%HUB%",
                  "storageProvider": { "type": "SQLite", "connectionStringName": "HubDb", "synchronous": "normal" },
                  "maxConcurrentActivityFunctions": 3,
                  "maxConcurrentOrchestratorFunctions": 4,
                  "extendedSessionsEnabled": false,
                  "extendedSessionIdleTimeoutInSeconds": 45,
                  "retention": "7.00:00:00",
                  "shutdownGracePeriod": "00:00:20",
                  "maxPayloadBytes": 1048576,
                  "defaultVersion": "2.1",
                  "versionMatchStrategy": "strict",
                  "versionFailureStrategy": "Fail",
                },
              },
            }
            """;

        var options = HostJson.Parse(json, name => name == "HUB" ? "FromSetting" : null);

        Assert.Null(options.FunctionTimeout);
        Assert.Equal(LogLevel.Warning, options.LogLevels["Default"]);
        Assert.Equal(LogLevel.Debug, options.LogLevels["Function.SayHello"]);
        Assert.Equal("v1", options.RoutePrefix);
        var durable = options.DurableTask;
        Assert.Equal("FromSetting", durable.HubName);
        Assert.Equal("sqlite", durable.StorageProvider.Type);
        Assert.Equal("HubDb", durable.StorageProvider.ConnectionStringName);
        Assert.Equal("normal", durable.StorageProvider.Settings["synchronous"].GetString());
        Assert.Equal(3, durable.MaxConcurrentActivityFunctions);
        Assert.Equal(4, durable.MaxConcurrentOrchestratorFunctions);
        Assert.False(durable.ExtendedSessionsEnabled);
        Assert.Equal(TimeSpan.FromSeconds(45), durable.ExtendedSessionIdleTimeout);
        Assert.Equal(TimeSpan.FromDays(7), durable.Retention);
        Assert.Equal(TimeSpan.FromSeconds(20), durable.ShutdownGracePeriod);
        Assert.Equal(1_048_576, durable.MaxPayloadBytes);
        Assert.Equal(("2.1", "Strict", "Fail"), (durable.DefaultVersion, durable.VersionMatchStrategy, durable.VersionFailureStrategy));
    }

    [Theory]
    [InlineData("""{ "version": "2.0", "extensionBundle": {} }""", "$.extensionBundle", "does not support this setting")]
    [InlineData("""{ "version": "2.0", "extensions": { "queues": {} } }""", "$.extensions.queues", "known here: http, durableTask")]
    [InlineData("""{ "version": "2.0", "extensions": { "durableTask": { "hubname": "ok1", "partitionCount": 4 } } }""", "$.extensions.durableTask.partitionCount", "does not support")]
    [InlineData("""{ "version": "2.0", "extensions": { "http": { "routePrefix": 5 } } }""", "$.extensions.http.routePrefix", "expected a string, found the number 5")]
    [InlineData("""{ "version": "2.0", "extensions": { "http": { "routePrefix": "a/{b}" } } }""", "$.extensions.http.routePrefix", "cannot contain route parameters")]
    [InlineData("""{ "version": "2.0", "extensions": { "durableTask": { "maxConcurrentActivityFunctions": 0 } } }""", "$.extensions.durableTask.maxConcurrentActivityFunctions", "0 is outside 1-10000")]
    [InlineData("""{ "version": "2.0", "extensions": { "durableTask": { "maxConcurrentOrchestratorFunctions": "8" } } }""", "$.extensions.durableTask.maxConcurrentOrchestratorFunctions", "expected a whole number")]
    [InlineData("""{ "version": "2.0", "extensions": { "durableTask": { "extendedSessionsEnabled": "yes" } } }""", "$.extensions.durableTask.extendedSessionsEnabled", "expected true or false")]
    [InlineData("""{ "version": "2.0", "extensions": { "durableTask": { "hubName": "my-hub" } } }""", "$.extensions.durableTask.hubName", "not a valid task hub name")]
    [InlineData("""{ "version": "2.0", "extensions": { "durableTask": { "hubName": "%MISSING%" } } }""", "$.extensions.durableTask.hubName", "app setting 'MISSING', which is not set")]
    [InlineData("""{ "version": "2.0", "extensions": { "durableTask": { "storageProvider": { "type": "azureStorage" } } } }""", "$.extensions.durableTask.storageProvider.type", "'azurestorage' is not a storage provider")]
    [InlineData("""{ "version": "2.0", "extensions": { "durableTask": { "retention": "a week" } } }""", "$.extensions.durableTask.retention", "not a valid duration")]
    [InlineData("""{ "version": "2.0", "extensions": { "durableTask": { "defaultVersion": "1.0", "versionMatchStrategy": "Newest" } } }""", "$.extensions.durableTask.versionMatchStrategy", "'Newest' is not one of None, Strict, CurrentOrOlder")]
    [InlineData("""{ "version": "2.0", "extensions": { "durableTask": { "versionFailureStrategy": "Reject" } } }""", "$.extensions.durableTask.versionFailureStrategy", "needs this build's version in defaultVersion")]
    [InlineData("""{ "version": "2.0", "extensions": { "durableTask": { "maxPayloadBytes": 100 } } }""", "$.extensions.durableTask.maxPayloadBytes", "100 is outside 1024-268435456")]
    [InlineData("""{ "version": "2.0", "functionTimeout": "00:00:00" }""", "$.functionTimeout", "not a valid duration")]
    [InlineData("""{ "version": "2.0", "logging": { "logLevel": { "default": "Loud" } } }""", "$.logging.logLevel.default", "'Loud' is not a log level")]
    [InlineData("""{ "version": "2.0", "logging": { "applicationInsights": {} } }""", "$.logging.applicationInsights", "known here: logLevel")]
    [InlineData("""{ "version": "1.0" }""", "$.version", "must be \"2.0\"")]
    [InlineData("""{ "extensions": {} }""", "$.version", "version is missing")]
    [InlineData("""[ ]""", "$", "expected an object")]
    [InlineData("""{ "version": "2.0", """, "$", "not valid JSON (line 1")]
    public void Parse_UnknownOrInvalidValue_ThrowsWithJsonPath(string json, string path, string message)
    {
        var ex = Assert.Throws<HostJsonException>(() => HostJson.Parse(json, NoSettings));

        Assert.Equal(path, ex.Path);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith($"host.json: {path}: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EnvironmentOverrides_ReplaceAndAddValues_KeepingTypes()
    {
        var json = """
            {
              "version": "2.0",
              "extensions": { "durableTask": { "hubName": "CompanyHub", "maxConcurrentActivityFunctions": 3, "storageProvider": { "type": "sqlite" } } }
            }
            """;
        KeyValuePair<string, string?>[] overrides =
        [
            new("extensions:durableTask:storageProvider:type", "postgres"),
            new("extensions:durableTask:storageProvider:schemaName", "hub_a"),
            new("Extensions:DurableTask:MaxConcurrentActivityFunctions", "12"),
            new("extensions:durableTask:extendedSessionsEnabled", "true"),
            new("extensions:http:routePrefix", "v2"),
            new("extensions:durableTask:hubName", ""), // compose passes unset variables as empty: ignored
        ];

        var options = HostJson.Parse(json, NoSettings, overrides);

        var durable = options.DurableTask;
        Assert.Equal("postgres", durable.StorageProvider.Type);
        Assert.Equal("hub_a", durable.StorageProvider.Settings["schemaName"].GetString());
        Assert.Equal(12, durable.MaxConcurrentActivityFunctions);
        Assert.True(durable.ExtendedSessionsEnabled == true);
        Assert.Equal("v2", options.RoutePrefix);
        Assert.Equal("CompanyHub", durable.HubName);
    }

    [Fact]
    public void Parse_EnvironmentOverrideOfWrongType_NamesThePath()
    {
        KeyValuePair<string, string?>[] overrides = [new("extensions:durableTask:maxConcurrentActivityFunctions", "many")];

        var ex = Assert.Throws<HostJsonException>(() => HostJson.Parse("""{ "version": "2.0" }""", NoSettings, overrides));

        Assert.Equal("$.extensions.durableTask.maxConcurrentActivityFunctions", ex.Path);
    }

    [Fact]
    public void Parse_EnvironmentOverrideBelowAValue_IsRefused()
    {
        KeyValuePair<string, string?>[] overrides = [new("version:minor", "1")];

        var ex = Assert.Throws<HostJsonException>(() => HostJson.Parse("""{ "version": "2.0" }""", NoSettings, overrides));

        Assert.Equal("$.version", ex.Path);
        Assert.Contains("AzureFunctionsJobHost__version__minor", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFileWithOverrides_AppliesThemToTheDefaults()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "host.json");

        var options = HostJson.Load(path, NoSettings, [new("extensions:durableTask:hubName", "OtherHub")]);

        Assert.Equal("OtherHub", options.DurableTask.HubName);
        Assert.Equal("api", options.RoutePrefix);
    }

    [Fact]
    public void Load_MissingFile_GivesDefaults()
    {
        var options = HostJson.Load(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "host.json"), NoSettings);

        Assert.Equal("api", options.RoutePrefix);
    }

    [Fact]
    public void Parse_RepositoryHostJson_IsValid()
    {
        var path = Path.Combine(RepositoryRoot(), "host.json");

        var options = HostJson.Load(path, NoSettings);

        Assert.Equal("CompanyHub", options.DurableTask.HubName);
        Assert.Equal("api", options.RoutePrefix);
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Serverless.sln not found above the test directory.");
    }
}
