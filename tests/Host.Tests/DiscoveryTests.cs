using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serverless.DurableTask.Worker;
using Serverless.Functions;
using Serverless.Functions.Indexing;
using Serverless.Host.Tests.Broken;
using Serverless.Host.Tests.Infrastructure;
using Serverless.Host.Tests.Sample;

namespace Serverless.Host.Tests;

public sealed class DiscoveryTests
{
    private static FunctionsStartupException Refuse(params Type[] types) =>
        Assert.Throws<FunctionsStartupException>(() => FunctionsTestHost.Build(types, FunctionsTestHost.DefaultHostJson, null, null, null, null, out _, out _));

    [Fact]
    public void AddFunctionsHost_SampleAssembly_FindsEveryFunctionWithItsTrigger()
    {
        var app = FunctionsTestHost.Build(FunctionsTestHost.SampleTypes, FunctionsTestHost.DefaultHostJson, null, null, null, null, out _, out _);
        var catalog = app.Services.GetRequiredService<FunctionCatalog>();

        var triggers = catalog.Functions.ToDictionary(f => f.Name, f => f.Trigger);
        Assert.Equal(FunctionTriggerType.Http, triggers["HelloSequence_HttpStart"]);
        Assert.Equal(FunctionTriggerType.Orchestration, triggers["HelloSequence"]);
        Assert.Equal(FunctionTriggerType.Activity, triggers["SayHello"]);
        Assert.Equal(FunctionTriggerType.Entity, triggers["Counter"]);
        Assert.Equal(FunctionTriggerType.Http, triggers["GetOrder"]);
        var start = catalog.Functions.Single(f => f.Name == "HelloSequence_HttpStart");
        Assert.Equal("api/HelloSequence_HttpStart", start.RouteTemplate);
        Assert.Equal(["GET", "POST"], start.HttpMethods);
        Assert.Equal("api/orders/{id:int}", catalog.Functions.Single(f => f.Name == "GetOrder").RouteTemplate);
        Assert.Empty(catalog.Functions.Single(f => f.Name == "Any").HttpMethods);
        Assert.Equal("Serverless.Host.Tests.Sample.HelloSequence.SayHello", catalog.Functions.Single(f => f.Name == "SayHello").Definition.EntryPoint);
        var classTask = Assert.Single(catalog.ClassTasks);
        Assert.Equal(("ToUpper", FunctionTriggerType.Activity), (classTask.Name, classTask.Kind));

        // Microsoft's registry, as the worker reads it (named options of the default worker).
        var registry = app.Services.GetRequiredService<IOptionsMonitor<DurableTaskRegistry>>().Get(Options.DefaultName);
        Assert.Contains(registry.GetOrchestrators(), o => o.Key == new TaskName("HelloSequence"));
        Assert.Contains(registry.GetActivities(), a => a.Key == new TaskName("SayHello"));
        Assert.Contains(registry.GetActivities(), a => a.Key == new TaskName("ToUpper"));
        Assert.Contains(registry.GetEntities(), e => string.Equals(e.Key.Name, "counter", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void AddFunctionsHost_RoutePrefixFromHostJson_PrefixesEveryHttpRoute()
    {
        var app = FunctionsTestHost.Build([typeof(HttpSamples)], """{ "version": "2.0", "extensions": { "http": { "routePrefix": "v1/hub" } } }""", null, null, null, null, out _, out _);

        var catalog = app.Services.GetRequiredService<FunctionCatalog>();

        Assert.Equal("v1/hub/greet/{name}", catalog.Functions.Single(f => f.Name == "Greet").RouteTemplate);
    }

    [Fact]
    public void AddFunctionsHost_EmptyRoutePrefix_RoutesAtTheRoot()
    {
        var app = FunctionsTestHost.Build([typeof(HttpSamples)], """{ "version": "2.0", "extensions": { "http": { "routePrefix": "" } } }""", null, null, null, null, out _, out _);

        var catalog = app.Services.GetRequiredService<FunctionCatalog>();

        Assert.Equal("greet/{name}", catalog.Functions.Single(f => f.Name == "Greet").RouteTemplate);
    }

    [Fact]
    public void AddFunctionsHost_DuplicateNames_RefusesBothNamingTheOther()
    {
        var ex = Refuse(typeof(DuplicateA), typeof(DuplicateB));

        Assert.Equal(2, ex.Errors.Count);
        Assert.Contains(ex.Errors, e => e.FunctionName == "Same" && e.Reason.Contains("also used by Serverless.Host.Tests.Broken.DuplicateB.Second", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.FunctionName == "same" && e.Reason.Contains("unique in an app (case-insensitive)", StringComparison.Ordinal));
    }

    [Fact]
    public void AddFunctionsHost_TriggerOnUnsupportedType_RefusesWithReason()
    {
        var error = Assert.Single(Refuse(typeof(WrongTriggerType)).Errors);

        Assert.Equal("WrongTriggerType", error.FunctionName);
        Assert.Equal("Serverless.Host.Tests.Broken.WrongTriggerType.Run", error.EntryPoint);
        Assert.Contains("[HttpTrigger] must be on a parameter of type Microsoft.AspNetCore.Http.HttpRequest; 'req' is String", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AddFunctionsHost_UnsupportedParameterInOrchestrator_RefusesWithReason()
    {
        var error = Assert.Single(Refuse(typeof(UnsupportedParameter)).Errors);

        Assert.Contains("parameter 'logger' of type ILogger is not supported in an orchestration function", error.Reason, StringComparison.Ordinal);
        Assert.Contains("CreateReplaySafeLogger", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AddFunctionsHost_MalformedRoute_RefusesWithReason()
    {
        var error = Assert.Single(Refuse(typeof(BadRoute)).Errors);

        Assert.Equal("BadRoute", error.FunctionName);
        Assert.Contains("the route 'orders/{id' is malformed", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(typeof(FiveFieldCron), "'*/5 * * * *' is not a valid six-field NCRONTAB expression")]
    [InlineData(typeof(OutOfRangeCron), "field 2 (minute) '61': value must be a number between 0 and 59")]
    [InlineData(typeof(NeverFiresCron), "never fires")]
    public void AddFunctionsHost_BadCron_RefusesWithReason(Type type, string expected)
    {
        var error = Assert.Single(Refuse(type).Errors);

        Assert.Equal(type.Name, error.FunctionName);
        Assert.Contains(expected, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AddFunctionsHost_ScheduleSettingMissing_RefusesNamingTheSetting()
    {
        var error = Assert.Single(Refuse(typeof(Ticker)).Errors);

        Assert.Contains("app setting 'TickSchedule', which is not set", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(typeof(NoTrigger), "it has no trigger parameter")]
    [InlineData(typeof(BodyOnGet), "binds the JSON request body, but the function accepts only GET requests")]
    [InlineData(typeof(BadName), "the name must start with a letter")]
    public void AddFunctionsHost_OtherMistakes_RefusedWithReason(Type type, string expected)
    {
        var error = Assert.Single(Refuse(type).Errors);

        Assert.Contains(expected, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AddFunctionsHost_SeveralBadFunctions_ReportsAllInOneMessage()
    {
        var ex = Refuse(typeof(BadRoute), typeof(FiveFieldCron), typeof(WrongTriggerType));

        Assert.Equal(3, ex.Errors.Count);
        Assert.Contains("3 function error(s)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Function 'BadRoute' (Serverless.Host.Tests.Broken.BadRoute.Run): ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddFunctionsHost_ReservedRouteWithEmptyPrefix_Refused()
    {
        var ex = Assert.Throws<FunctionsStartupException>(() => FunctionsTestHost.Build(
            [typeof(ReservedRoute)], """{ "version": "2.0", "extensions": { "http": { "routePrefix": "" } } }""", null, null, null, null, out _, out _));

        Assert.Contains("'/runtime/webhooks/mine' is reserved", Assert.Single(ex.Errors).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AddFunctionsHost_InvalidHostJson_RefusesWithPath()
    {
        var ex = Assert.Throws<HostJsonException>(() => FunctionsTestHost.Build(
            [], """{ "version": "2.0", "extensions": { "durableTask": { "maxConcurrentActivityFunctions": -1 } } }""", null, null, null, null, out _, out _));

        Assert.Equal("$.extensions.durableTask.maxConcurrentActivityFunctions", ex.Path);
    }

    [Fact]
    public void AddFunctionsHost_PostgresWithoutConnectionString_RefusesNamingTheSetting()
    {
        var ex = Assert.Throws<HostJsonException>(() => FunctionsTestHost.Build(
            [], """{ "version": "2.0", "extensions": { "durableTask": { "storageProvider": { "type": "postgres" } } } }""", null, null, null, null, out _, out _));

        Assert.Equal("$.extensions.durableTask.storageProvider.connectionStringName", ex.Path);
        Assert.Contains("'POSTGRES_CONNECTION'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddFunctionsHost_PostgresUnknownSettingOrBadConnectionString_RefusedWithPathAndNoSecret()
    {
        var unknown = Assert.Throws<HostJsonException>(() => FunctionsTestHost.Build(
            [], """{ "version": "2.0", "extensions": { "durableTask": { "storageProvider": { "type": "postgres", "connectionStringName": "Db", "journal": "wal" } } } }""",
            null, null, new Dictionary<string, string?> { ["Db"] = "Host=127.0.0.1;Database=hub" }, null, out _, out _));
        var malformed = Assert.Throws<HostJsonException>(() => FunctionsTestHost.Build(
            [], """{ "version": "2.0", "extensions": { "durableTask": { "storageProvider": { "type": "postgres", "connectionStringName": "Db" } } } }""",
            null, null, new Dictionary<string, string?> { ["Db"] = "Host=127.0.0.1;Passwrd=hunter2-secret" }, null, out _, out _));

        Assert.Equal("$.extensions.durableTask.storageProvider.journal", unknown.Path);
        Assert.Contains("schemaName", unknown.Message, StringComparison.Ordinal);
        Assert.Equal("$.extensions.durableTask.storageProvider.connectionStringName", malformed.Path);
        Assert.DoesNotContain("hunter2", malformed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddFunctionsHost_PostgresWithEmptyConnectionSetting_RefusesAsMissing()
    {
        // docker compose passes an unset ${POSTGRES_CONNECTION:-} as an empty value.
        var ex = Assert.Throws<HostJsonException>(() => FunctionsTestHost.Build(
            [], """{ "version": "2.0", "extensions": { "durableTask": { "storageProvider": { "type": "postgres" } } } }""",
            null, null, new Dictionary<string, string?> { ["POSTGRES_CONNECTION"] = "" }, null, out _, out _));

        Assert.Equal("$.extensions.durableTask.storageProvider.connectionStringName", ex.Path);
        Assert.Contains("'POSTGRES_CONNECTION' is set (or it is empty)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddFunctionsHost_PostgresSchemaNameNeedingQuotes_RefusedWithPath()
    {
        var ex = Assert.Throws<HostJsonException>(() => FunctionsTestHost.Build(
            [], """{ "version": "2.0", "extensions": { "durableTask": { "storageProvider": { "type": "postgres", "connectionStringName": "Db", "schemaName": "Hub\"; DROP SCHEMA x" } } } }""",
            null, null, new Dictionary<string, string?> { ["Db"] = "Host=127.0.0.1;Database=hub" }, null, out _, out _));

        Assert.Equal("$.extensions.durableTask.storageProvider.schemaName", ex.Path);
        Assert.Contains("lower-case letters", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddFunctionsHost_UnknownSqliteSetting_RefusesWithPath()
    {
        var ex = Assert.Throws<HostJsonException>(() => FunctionsTestHost.Build(
            [], """{ "version": "2.0", "extensions": { "durableTask": { "storageProvider": { "type": "sqlite", "journal": "wal" } } } }""", null, null, null, null, out _, out _));

        Assert.Equal("$.extensions.durableTask.storageProvider.journal", ex.Path);
    }

    [Fact]
    public void AddFunctionsHost_ShortAdminKey_RefusesNamingTheSetting()
    {
        var ex = Assert.Throws<FunctionsConfigurationException>(() => FunctionsTestHost.Build(
            [], FunctionsTestHost.DefaultHostJson, null, null, new Dictionary<string, string?> { ["Host:AdminKey"] = "short" }, null, out _, out _));

        Assert.Equal("Host:AdminKey", ex.Setting);
    }
}
