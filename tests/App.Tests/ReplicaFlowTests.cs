using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Attio;
using CompanyHub.Orchestrations.Approvals;
using Npgsql;

namespace CompanyHub.Tests;

/// <summary>
/// Two hub processes on one PostgreSQL schema, as replicas behind a load balancer would run: a person signs up
/// through one, chats and decides through the other, and each sees what the other did — the conversation, the
/// proposal, the audit log — with every action run once.
/// </summary>
public sealed class ReplicaFlowTests
{
    private const string Alice = "alice@company.com";

    [Fact]
    public async Task TwoReplicas_OnboardOnOne_ChatAndApproveOnTheOther_SeeOneState()
    {
        var connectionString = TestPostgres.ConnectionString();
        var schema = "replicas_" + Guid.NewGuid().ToString("N");
        try
        {
            await using var run = await CrashRun.StartAsync(() =>
            [
                new("AzureFunctionsJobHost:extensions:durableTask:storageProvider:type", "postgres"),
                new("AzureFunctionsJobHost:extensions:durableTask:storageProvider:schemaName", schema),
                new("POSTGRES_CONNECTION", connectionString),
            ]);
            await run.StartHubAsync();
            await using var replica = await run.StartReplicaAsync();

            // Signs up through the first replica.
            var aliceId = await run.OnboardAsync(Alice, "Alice");
            using var onFirst = run.Hub.Http(run.State[aliceId]);
            using var onSecond = replica.Http(run.State[aliceId]);

            // Chats through the second; the answer is read through the first.
            using (var sent = await onSecond.PostAsJsonAsync($"/api/agents/{aliceId}/messages", new { text = "What is on today? replica-check" }))
            {
                Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
            }

            await run.WaitUntilAsync(
                async () => (await onFirst.GetFromJsonAsync<JsonObject>($"/api/agents/{aliceId}/messages?top=500"))!["messages"]!.AsArray()
                    .Any(m => m!["role"]!.GetValue<string>() == "assistant" && m["text"]!.GetValue<string>().Contains("replica-check", StringComparison.Ordinal)),
                "the answer to the chat sent through the other replica");

            // Proposes through the first, approves through the second, sees the result through the first.
            var person = run.Attio.AddRecord("people", new JsonObject { ["name"] = new JsonArray(new JsonObject { ["first_name"] = "Sarah", ["last_name"] = "Client", ["full_name"] = "Sarah Client" }) });
            var proposal = await ToolHub.ProposeAsync(onFirst, aliceId, ProposalTypes.UpdateAttioRecord, new JsonObject { ["object"] = "people", ["recordId"] = person, ["values"] = new JsonObject { ["job_title"] = "CTO" } });
            await ToolHub.WaitForStatusAsync(onSecond, proposal, ProposalStatus.Pending);
            using (var decided = await ToolHub.DecideAsync(onSecond, proposal, "approve"))
            {
                Assert.True(decided.IsSuccessStatusCode, await decided.Content.ReadAsStringAsync());
            }

            var done = await ToolHub.WaitForFinalAsync(onFirst, proposal);
            Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
            Assert.Equal(1, run.Attio.CallCount(AttioEndpoints.RecordsUpdate));

            // A new link made through the second replica: the old token stops working on the first (its token cache
            // lasts a second), and the first replica's audit log shows the rotation the second one recorded.
            using (var rotated = await onSecond.PostAsync($"/api/agents/{aliceId}/token/rotate", null))
            {
                Assert.True(rotated.IsSuccessStatusCode, await rotated.Content.ReadAsStringAsync());
            }

            await run.WaitUntilAsync(async () => (await onFirst.GetAsync("/api/me")).StatusCode == HttpStatusCode.Unauthorized, "the old token to be refused on the other replica");
            async Task<JsonArray> AuditAsync(HubChild hub)
            {
                using var admin = hub.Http(hub.AdminToken);
                return (await admin.GetFromJsonAsync<JsonArray>("/api/admin/audit?top=500"))!;
            }

            var first = await AuditAsync(run.Hub);
            var second = await AuditAsync(replica);
            Assert.Contains(first, e => e!["action"]!.GetValue<string>() == "token.rotated" && e["agentId"]?.GetValue<string>() == aliceId);
            Assert.Contains(first, e => e!["action"]!.GetValue<string>() == "proposal.succeeded" && e["target"]?.GetValue<string>() == proposal);
            Assert.Equal(first.Select(e => e!.ToJsonString()), second.Select(e => e!.ToJsonString()));
            await run.AssertNothingLostAsync();
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
