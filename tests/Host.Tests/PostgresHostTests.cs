using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Serverless.Functions;
using Serverless.Functions.Timers;
using Serverless.Host.Tests.Infrastructure;
using Serverless.Tests.Shared;

namespace Serverless.Host.Tests;

/// <summary>The host on the "postgres" storage provider, against the test server scripts/test starts (HUB_TEST_POSTGRES).</summary>
public sealed class PostgresHostTests
{
    [Fact]
    public async Task PostgresProvider_HostJsonAndConnectionSetting_ReadyAndRunsAnOrchestration()
    {
        var connectionString = ConnectionString();
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
            await DropSchemaAsync(connectionString, schema);
        }
    }

    [Fact]
    public async Task PostgresProvider_ChosenByEnvironmentOverride_OverASqliteHostJson()
    {
        // A container image ships one host.json; a replica switches to the shared database by its environment.
        var connectionString = ConnectionString();
        var schema = "env_" + Guid.NewGuid().ToString("N");
        var hostJson = """
            { "version": "2.0", "extensions": { "durableTask": { "hubName": "test", "shutdownGracePeriod": "00:00:01", "storageProvider": { "type": "sqlite" } } } }
            """;
        var settings = new Dictionary<string, string?>
        {
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:type"] = "postgres",
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:schemaName"] = schema,
            ["POSTGRES_CONNECTION"] = connectionString,
        };
        try
        {
            await using var host = await FunctionsTestHost.StartAsync(hostJson: hostJson, settings: settings);
            var body = await (await host.Client.GetAsync("/readyz")).Content.ReadFromJsonAsync<JsonElement>();
            var id = await host.DurableClient.ScheduleNewOrchestrationInstanceAsync("HelloSequence");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var done = await host.DurableClient.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

            Assert.Equal("postgres", body.GetProperty("storage").GetString());
            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            Assert.Contains($"schema {schema}", host.Banner.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            await DropSchemaAsync(connectionString, schema);
        }
    }

    [Fact]
    public async Task PostgresProvider_DatabaseUnreachable_ReadyzAnswers503ThenReadyAgainAndWorkRuns()
    {
        // Arrange: the host reaches the test server through a forwarder the test can cut.
        var connectionString = ConnectionString();
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        await using var cutter = new TcpCutter(target.Host!, target.Port);
        var throughCutter = new NpgsqlConnectionStringBuilder(connectionString) { Port = cutter.Port, Host = "127.0.0.1" }.ConnectionString;
        var schema = "host_" + Guid.NewGuid().ToString("N");
        var hostJson = $$"""
            {
              "version": "2.0",
              "extensions": { "durableTask": { "hubName": "test", "shutdownGracePeriod": "00:00:01",
                "storageProvider": { "type": "postgres", "schemaName": "{{schema}}" } } }
            }
            """;
        try
        {
            await using var host = await FunctionsTestHost.StartAsync(hostJson: hostJson, settings: new Dictionary<string, string?> { ["POSTGRES_CONNECTION"] = throughCutter });
            var before = (await host.Client.GetAsync("/readyz")).StatusCode;

            // Act 1
            cutter.Cut();
            var whileCut = await WaitForStatusAsync(host, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15));

            // Act 2
            cutter.Restore();
            var afterRestore = await WaitForStatusAsync(host, HttpStatusCode.OK, TimeSpan.FromSeconds(30));
            var id = await host.DurableClient.ScheduleNewOrchestrationInstanceAsync("HelloSequence");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var done = await host.DurableClient.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

            // Assert
            Assert.Equal(HttpStatusCode.OK, before);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, whileCut);
            Assert.Equal(HttpStatusCode.OK, afterRestore);
            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        }
        finally
        {
            await DropSchemaAsync(connectionString, schema);
        }
    }

    [Fact]
    public async Task PostgresProvider_DatabaseUnreachable_HttpAnswers503WithRetryAfterThenWorks()
    {
        // Arrange: the host reaches the test server through a forwarder the test can cut.
        var connectionString = ConnectionString();
        var (cutter, throughCutter) = Forwarded(connectionString);
        await using var _ = cutter;
        var schema = "host_" + Guid.NewGuid().ToString("N");
        try
        {
            await using var host = await FunctionsTestHost.StartAsync(hostJson: PostgresHostJson(schema), settings: new Dictionary<string, string?> { ["POSTGRES_CONNECTION"] = throughCutter });

            // Act 1: a request that writes to the store while the database is away.
            cutter.Cut();
            var readyz = await WaitForStatusAsync(host, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15));
            using var refused = await host.Client.PostAsync("/api/HelloSequence_HttpStart", null);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            using var managementRefused = await host.SendAsync(HttpMethod.Post, "/runtime/webhooks/durabletask/orchestrators/HelloSequence");

            // Act 2: it comes back; the same request starts an orchestration that completes.
            cutter.Restore();
            var readyAgain = await WaitForStatusAsync(host, HttpStatusCode.OK, TimeSpan.FromSeconds(30));
            using var accepted = await host.Client.PostAsync("/api/HelloSequence_HttpStart", null);
            var id = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var done = await host.DurableClient.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

            // Assert
            Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal(TimeSpan.FromSeconds(5), refused.Headers.RetryAfter?.Delta);
            Assert.Equal("The hub cannot reach its database right now. Nothing was saved; try again in a moment.", problem.GetProperty("detail").GetString());
            Assert.DoesNotContain("Password", problem.ToString(), StringComparison.OrdinalIgnoreCase);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, managementRefused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(5), managementRefused.Headers.RetryAfter?.Delta);
            Assert.Equal(HttpStatusCode.OK, readyAgain);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        }
        finally
        {
            await DropSchemaAsync(connectionString, schema);
        }
    }

    [Fact]
    public async Task PostgresProvider_DatabaseUnreachable_TimerOccurrencesWhoseClaimFailedDoNotRun()
    {
        // Arrange: a timer every second on a host that reaches its database through a forwarder, with its claims recorded.
        var connectionString = ConnectionString();
        var (cutter, throughCutter) = Forwarded(connectionString);
        await using var _ = cutter;
        var schema = "timer_" + Guid.NewGuid().ToString("N");
        RecordedClaims? claims = null;
        try
        {
            await using var host = await FunctionsTestHost.StartAsync(
                [typeof(Sample.Ticker)],
                hostJson: PostgresHostJson(schema),
                settings: new Dictionary<string, string?> { ["POSTGRES_CONNECTION"] = throughCutter, ["TickSchedule"] = "* * * * * *" },
                configure: b =>
                {
                    var inner = (ITimerScheduleStore)b.Services.Last(d => d.ServiceType == typeof(ITimerScheduleStore)).ImplementationInstance!;
                    b.Services.AddSingleton<ITimerScheduleStore>(claims = new RecordedClaims(inner));
                });
            var ticks = host.Services.GetRequiredService<Sample.TickLog>();
            await ticks.WaitForRunsAsync(1, TimeSpan.FromSeconds(30));

            // Act: the database goes away for at least two failed claims, then comes back.
            cutter.Cut();
            await WaitUntilAsync(() => claims!.Failed.Count >= 2, TimeSpan.FromSeconds(30));
            cutter.Restore();
            var failed = claims!.Failed.ToArray();
            await WaitUntilAsync(() => ticks.Runs.Any(r => r.ScheduleStatus!.Next > failed.Max()), TimeSpan.FromSeconds(30));

            // Assert: no occurrence whose claim failed ran; the schedule went on afterwards.
            var ran = ticks.Runs.Select(r => r.ScheduleStatus!.Next).ToHashSet();
            Assert.DoesNotContain(failed, ran.Contains);
            Assert.Contains(ran, o => o > failed.Max());
        }
        finally
        {
            await DropSchemaAsync(connectionString, schema);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData(true)]
    public async Task PostgresProvider_FlushLeaseCommits_LeasesUseTheirOwnConnectionsOnlyWhenTheyNeedNotFlush(bool? flushLeaseCommits)
    {
        // The lease connections (synchronous_commit=off) are named "<application name> (leases)" in pg_stat_activity.
        var application = "lease-" + Guid.NewGuid().ToString("N")[..12];
        var connectionString = new NpgsqlConnectionStringBuilder(ConnectionString()) { ApplicationName = application }.ConnectionString;
        var schema = "host_" + Guid.NewGuid().ToString("N");
        var flush = flushLeaseCommits is { } value ? $$""", "flushLeaseCommits": {{(value ? "true" : "false")}}""" : string.Empty;
        var hostJson = $$"""
            { "version": "2.0", "extensions": { "durableTask": { "hubName": "test", "shutdownGracePeriod": "00:00:01",
              "storageProvider": { "type": "postgres", "schemaName": "{{schema}}"{{flush}} } } } }
            """;
        try
        {
            await using var host = await FunctionsTestHost.StartAsync(hostJson: hostJson, settings: new Dictionary<string, string?> { ["POSTGRES_CONNECTION"] = connectionString });
            var id = await host.DurableClient.ScheduleNewOrchestrationInstanceAsync("HelloSequence");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var done = await host.DurableClient.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

            await using var connection = new NpgsqlConnection(ConnectionString());
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", connection) { Parameters = { new() { Value = application + " (leases)" } } };
            var leaseConnections = (long)(await command.ExecuteScalarAsync())!;

            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            if (flushLeaseCommits == true)
            {
                Assert.Equal(0L, leaseConnections);
            }
            else
            {
                Assert.True(leaseConnections > 0, "the leases did not use connections of their own");
            }
        }
        finally
        {
            await DropSchemaAsync(ConnectionString(), schema);
        }
    }

    [Fact]
    public async Task PostgresProvider_TimerFunction_RunsAndKeepsItsScheduleInTheHubSchema()
    {
        var connectionString = ConnectionString();
        var schema = "host_" + Guid.NewGuid().ToString("N");
        var hostJson = PostgresHostJson(schema);
        try
        {
            await using (var host = await FunctionsTestHost.StartAsync([typeof(Sample.Ticker)], hostJson: hostJson, settings: new Dictionary<string, string?> { ["POSTGRES_CONNECTION"] = connectionString, ["TickSchedule"] = "* * * * * *" }))
            {
                await host.Services.GetRequiredService<Sample.TickLog>().WaitForRunsAsync(2, TimeSpan.FromSeconds(10));
            }

            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"SELECT next_utc > last_utc FROM \"{schema}\".function_timer_schedules WHERE function_name = 'tick'", connection);
            Assert.Equal(true, await command.ExecuteScalarAsync());
        }
        finally
        {
            await DropSchemaAsync(connectionString, schema);
        }
    }

    [Fact]
    public async Task PostgresProvider_TwoHostsOnOneSchema_RunEachTimerOccurrenceOnce()
    {
        var connectionString = ConnectionString();
        var schema = "timer_" + Guid.NewGuid().ToString("N");
        var hostJson = PostgresHostJson(schema);
        var settings = new Dictionary<string, string?> { ["POSTGRES_CONNECTION"] = connectionString, ["TickSchedule"] = "* * * * * *" };
        try
        {
            await using var first = await FunctionsTestHost.StartAsync([typeof(Sample.Ticker)], hostJson: hostJson, settings: settings);
            await using var second = await FunctionsTestHost.StartAsync([typeof(Sample.Ticker)], hostJson: hostJson, settings: settings);
            var logs = new[] { first, second }.Select(h => h.Services.GetRequiredService<Sample.TickLog>()).ToArray();

            // Both hosts wake at every second: wait until both together ran several occurrences (a busy machine may
            // take longer than one a second), then no occurrence may have run twice.
            var started = DateTime.UtcNow;
            List<DateTime> Occurrences() => [.. logs.SelectMany(l => l.Runs).Select(r => r.ScheduleStatus!.Next).Where(o => o > started.AddSeconds(1))];
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Occurrences().Distinct().Count() < 5 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }

            var occurrences = Occurrences();
            Assert.True(occurrences.Distinct().Count() >= 5, $"expected the timer to keep running on the two hosts; saw {occurrences.Count} occurrences in 30 s");
            Assert.Equal(occurrences.Count, occurrences.Distinct().Count());
        }
        finally
        {
            await DropSchemaAsync(connectionString, schema);
        }
    }

    [Fact]
    public async Task PostgresTimerStore_Claim_OnceLiveThenRetakenOnlyWhenStaleAndNotRun()
    {
        var connectionString = ConnectionString();
        var schema = "claim_" + Guid.NewGuid().ToString("N");
        var hostJson = PostgresHostJson(schema);
        try
        {
            await using var host = await FunctionsTestHost.StartAsync(hostJson: hostJson, settings: new Dictionary<string, string?> { ["POSTGRES_CONNECTION"] = connectionString });
            var store = host.Services.GetRequiredService<ITimerScheduleStore>();
            var occurrence = new DateTime(2026, 11, 22, 10, 0, 0, DateTimeKind.Utc);
            var hour = TimeSpan.FromHours(1);
            var stale = TimeSpan.FromMilliseconds(300);

            // A claim's age is the database's clock: a host whose clock is hours ahead does not take a live claim.
            var firstClaim = await store.TryClaimAsync("Job", occurrence, DateTime.UtcNow, stale, CancellationToken.None);
            var liveAgain = await store.TryClaimAsync("Job", occurrence, DateTime.UtcNow, stale, CancellationToken.None);
            var hostAhead = await store.TryClaimAsync("Job", occurrence, DateTime.UtcNow.AddHours(2), stale, CancellationToken.None);
            await WaitForDatabaseClockAsync(connectionString, TimeSpan.FromMilliseconds(400));
            var staleNotRun = await store.TryClaimAsync("Job", occurrence, DateTime.UtcNow, stale, CancellationToken.None);
            await store.SetAsync("Job", new ScheduleStatus { Last = occurrence, Next = occurrence.AddHours(1), LastUpdated = occurrence.AddHours(2) }, CancellationToken.None);
            await WaitForDatabaseClockAsync(connectionString, TimeSpan.FromMilliseconds(400));
            var staleButRun = await store.TryClaimAsync("Job", occurrence, DateTime.UtcNow, stale, CancellationToken.None);
            var next = await store.TryClaimAsync("Job", occurrence.AddHours(1), DateTime.UtcNow, hour, CancellationToken.None);
            var older = await store.TryClaimAsync("Job", occurrence.AddMinutes(30), DateTime.UtcNow, hour, CancellationToken.None);

            Assert.True(firstClaim);
            Assert.False(liveAgain);
            Assert.False(hostAhead);
            Assert.True(staleNotRun);
            Assert.False(staleButRun);
            Assert.True(next);
            Assert.False(older);
        }
        finally
        {
            await DropSchemaAsync(connectionString, schema);
        }
    }

    /// <summary>Waits until the database's own clock has moved on by <paramref name="span"/> (claims age on it).</summary>
    private static async Task WaitForDatabaseClockAsync(string connectionString, TimeSpan span)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var start = new NpgsqlCommand("SELECT clock_timestamp()", connection);
        var from = (DateTime)(await start.ExecuteScalarAsync())!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while ((DateTime)(await start.ExecuteScalarAsync(timeout.Token))! - from < span)
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary>host.json of a hub on the "postgres" provider in <paramref name="schema"/> (connection from POSTGRES_CONNECTION).</summary>
    private static string PostgresHostJson(string schema) => $$"""
        { "version": "2.0", "extensions": { "durableTask": { "hubName": "test", "shutdownGracePeriod": "00:00:01",
          "storageProvider": { "type": "postgres", "schemaName": "{{schema}}" } } } }
        """;

    private static string ConnectionString() =>
        Environment.GetEnvironmentVariable("HUB_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("HUB_TEST_POSTGRES is not set: run scripts/test, or `scripts/services start` and `eval \"$(scripts/services env)\"` first.");

    private static async Task<HttpStatusCode> WaitForStatusAsync(FunctionsTestHost host, HttpStatusCode expected, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            status = (await host.Client.GetAsync("/readyz")).StatusCode;
            if (status == expected)
            {
                break;
            }

            await Task.Delay(100);
        }
        while (clock.Elapsed < timeout);
        return status;
    }

    /// <summary>A forwarder to the test server that the test can cut, and the connection string through it.</summary>
    private static (TcpCutter Cutter, string ConnectionString) Forwarded(string connectionString)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var cutter = new TcpCutter(target.Host!, target.Port);
        return (cutter, new NpgsqlConnectionStringBuilder(connectionString) { Port = cutter.Port, Host = "127.0.0.1", Timeout = 3 }.ConnectionString);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!condition())
        {
            await Task.Delay(50, cts.Token);
        }
    }

    /// <summary>The host's timer schedule store, with the occurrences whose claim failed recorded.</summary>
    private sealed class RecordedClaims(ITimerScheduleStore inner) : ITimerScheduleStore
    {
        public System.Collections.Concurrent.ConcurrentQueue<DateTime> Failed { get; } = new();

        public Task<ScheduleStatus?> GetAsync(string functionName, CancellationToken cancellationToken) => inner.GetAsync(functionName, cancellationToken);

        public Task SetAsync(string functionName, ScheduleStatus status, CancellationToken cancellationToken) => inner.SetAsync(functionName, status, cancellationToken);

        public async Task<bool> TryClaimAsync(string functionName, DateTime occurrence, DateTime nowUtc, TimeSpan staleAfter, CancellationToken cancellationToken)
        {
            try
            {
                return await inner.TryClaimAsync(functionName, occurrence, nowUtc, staleAfter, cancellationToken);
            }
            catch
            {
                Failed.Enqueue(occurrence);
                throw;
            }
        }
    }

    private static async Task DropSchemaAsync(string connectionString, string schema)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
