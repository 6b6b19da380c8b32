using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Serverless.DurableTask;
using Serverless.Host.Tests.Infrastructure;

namespace Serverless.Host.Tests;

/// <summary>The host on the "postgres" storage provider, against the test server scripts/test starts (HUB_TEST_POSTGRES).</summary>
public sealed class PostgresHostTests
{
    [Fact]
    public async Task PostgresProvider_HostJsonAndConnectionSetting_ReadyAndRunsAnOrchestration()
    {
        var connectionString = Environment.GetEnvironmentVariable("HUB_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("HUB_TEST_POSTGRES is not set: run scripts/test, or `scripts/services start` and `eval \"$(scripts/services env)\"` first.");
        var schema = "host_" + Guid.NewGuid().ToString("N");
        var hostJson = $$"""
            {
              "version": "2.0",
              "extensions": { "durableTask": { "hubName": "test", "shutdownGracePeriod": "00:00:01",
                "storageProvider": { "type": "postgres", "connectionStringName": "HubDatabase", "schemaName": "{{schema}}" } } }
            }
            """;
        try
        {
            await using (var host = await FunctionsTestHost.StartAsync(hostJson: hostJson, settings: new Dictionary<string, string?> { ["ConnectionStrings:HubDatabase"] = connectionString }))
            {
                var ready = await host.Client.GetAsync("/readyz");
                var body = await ready.Content.ReadFromJsonAsync<JsonElement>();
                var id = await host.DurableClient.ScheduleNewOrchestrationInstanceAsync("HelloSequence");
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                var done = await host.DurableClient.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
                Assert.Equal("postgres", body.GetProperty("storage").GetString());
                Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
                Assert.Contains($"schema {schema}", host.Banner.ToString(), StringComparison.Ordinal);
                Assert.DoesNotContain("Password", host.Banner.ToString(), StringComparison.OrdinalIgnoreCase);
            }

            // The tables are in the named schema.
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'instances'", connection) { Parameters = { new() { Value = schema } } };
            Assert.Equal(1L, await command.ExecuteScalarAsync());
        }
        finally
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
