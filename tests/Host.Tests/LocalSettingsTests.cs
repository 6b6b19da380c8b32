using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions;
using Serverless.Functions.Configuration;
using Serverless.Host.Tests.Infrastructure;

namespace Serverless.Host.Tests;

public sealed class LocalSettingsTests
{
    [Fact]
    public void Parse_ValuesConnectionStringsAndPort_AreRead()
    {
        var settings = LocalSettings.Parse("""
            {
              "IsEncrypted": false,
              "Values": { "A": "1", "Section__Key": "nested", "Number": 5, "Flag": true },
              "ConnectionStrings": { "Db": "Data Source=x.db" },
              "Host": { "LocalHttpPort": 7071, "CORS": "*" }
            }
            """);

        Assert.Equal("1", settings.Values["A"]);
        Assert.Equal("5", settings.Values["Number"]);
        Assert.Equal("true", settings.Values["Flag"]);
        Assert.Equal(7071, settings.LocalHttpPort);
        var configuration = settings.ToConfiguration().ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("nested", configuration["Section:Key"]);
        Assert.Equal("Data Source=x.db", configuration["ConnectionStrings:Db"]);
    }

    [Theory]
    [InlineData("""{ "IsEncrypted": true, "Values": {} }""", "$.IsEncrypted", "encrypted local settings are not supported")]
    [InlineData("""{ "Values": { "A": { "B": "c" } } }""", "$.Values.A", "must be a string")]
    [InlineData("""{ "Values": [] }""", "$.Values", "expected an object")]
    [InlineData("""{ "Host": { "LocalHttpPort": "x" } }""", "$.Host.LocalHttpPort", "expected a port number")]
    [InlineData("""{ "Values": """, "$", "not valid JSON")]
    public void Parse_InvalidFile_ThrowsWithJsonPath(string json, string path, string message)
    {
        var ex = Assert.Throws<LocalSettingsException>(() => LocalSettings.Parse(json));

        Assert.Equal(path, ex.Path);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RepositorySample_IsValidAndDocumentsTheHostSettings()
    {
        var text = File.ReadAllText(Path.Combine(HostJsonTests.RepositoryRoot(), "local.settings.sample.json"));

        var settings = LocalSettings.Parse(text);

        Assert.Contains("Host__AdminKey", settings.Values.Keys);
        Assert.Contains("Host__DataDirectory", settings.Values.Keys);
        Assert.Contains("MASTER_KEY", settings.Values.Keys);
        Assert.Equal(18789, settings.LocalHttpPort);
        foreach (var key in settings.Values.Keys)
        {
            // Every value is explained by a comment line above it.
            Assert.Matches(@$"//[^\n]*\n(\s*""[A-Za-z0-9_]+"":[^\n]*\n)*\s*""{key}""", text.Replace("\r", string.Empty, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void AddFunctionsHost_LocalSettingsFile_ValuesReachConfigurationBelowEnvironment()
    {
        var overridden = "HOSTTEST_OVERRIDE_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(overridden, "from-environment");
        try
        {
            var app = FunctionsTestHost.Build(
                [],
                FunctionsTestHost.DefaultHostJson,
                $$"""{ "Values": { "Plain": "from-file", "Section__Key": "nested", "{{overridden}}": "from-file" }, "ConnectionStrings": { "Db": "Data Source=a.db" } }""",
                null,
                null,
                null,
                out var directory,
                out _);
            var configuration = app.Services.GetRequiredService<IConfiguration>();

            Assert.Equal("from-file", configuration["Plain"]);
            Assert.Equal("nested", configuration["Section:Key"]);
            Assert.Equal("Data Source=a.db", configuration.GetConnectionString("Db"));
            Assert.Equal("from-environment", configuration[overridden]);
            Assert.Equal(Path.Combine(directory, "local.settings.json"), app.Services.GetRequiredService<Serverless.Functions.Hosting.FunctionsHostEnvironment>().LocalSettingsPath);
        }
        finally
        {
            Environment.SetEnvironmentVariable(overridden, null);
        }
    }
}

public sealed class LocalSettingsEnvironmentTests
{
    [Fact]
    public void AddFunctionsHost_LocalSettingsFile_ExportsUnsetValuesToEnvironment()
    {
        var name = "HOSTTEST_EXPORT_" + Guid.NewGuid().ToString("N");
        var preset = "HOSTTEST_PRESET_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(preset, "kept");
        try
        {
            FunctionsTestHost.Build(
                [],
                FunctionsTestHost.DefaultHostJson,
                $$"""{ "Values": { "{{name}}": "exported", "{{preset}}": "ignored" } }""",
                null,
                null,
                null,
                out _,
                out _,
                o => o.ExportLocalSettingsToEnvironment = true);

            Assert.Equal("exported", Environment.GetEnvironmentVariable(name));
            Assert.Equal("kept", Environment.GetEnvironmentVariable(preset));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
            Environment.SetEnvironmentVariable(preset, null);
        }
    }
}
