using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using CompanyHub.Entities;
using CompanyHub.Fakes.OpenAi;
using CompanyHub.Integrations;
using CompanyHub.Integrations.Google;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Security;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace CompanyHub.Tests;

/// <summary>
/// A data directory written by the release before the move onto Microsoft's SDK (tests/Fixtures/v1/sqlite-app, made by
/// that release's hub: see the fixture's README) opens with this release: the store is upgraded at start-up and the
/// pending approval, the onboarding waiting for Google and the agent with its conversation all carry on.
/// </summary>
public sealed class UpgradeHubFixtureTests
{
    private const string Alice = "alice-company-com";
    private const string Proposal = "p-1a9266943a564ad59d85d51c1add68d6";
    private const string Onboarding = "onboarding-dd1ee3d562af42e0bad2fe206804f1cf";

    [Fact]
    public async Task PreviousReleasesDataDirectory_AfterTheUpgrade_ApprovalOnboardingAndAgentCarryOn()
    {
        // Arrange: a copy of the fixture (never the committed files), opened with its own master key.
        var directory = CopyFixture();
        var key = (await File.ReadAllTextAsync(Path.Combine(directory, "master.key"))).Trim();
        await using var llm = await FakeOpenAi.StartAsync();
        llm.Default = _ => FakeOpenAi.Reply.Text("You told me the Acme contract is due Friday.");
        await using var tools = await ToolHub.StartAsync(
            Tools.Google,
            [new("REDPILL_API_KEY", "test-llm-key"), new("LLM_BASE_URL", llm.BaseUrl), new("COMPANY_NAME", "Fixture Co")],
            directory,
            key);
        var client = tools.Hub.Client;

        // Google still honours the refresh token Alice granted before the upgrade (a new fake starts without it).
        var agent = (await client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(Alice)))?.State;
        Assert.NotNull(agent);
        Assert.Equal(AgentStatus.Active, agent.Status);
        var refresh = tools.Hub.Services.GetRequiredService<SecretBox>().Open(agent.SealedGoogleRefreshToken!, GoogleCredentials.RefreshTokenPurpose);
        tools.Google.AddAccount("alice@company.com", "Alice");
        tools.Google.ImportRefreshToken(refresh, "alice@company.com", [.. GoogleScopes.ForHub(calendarEnabled: true)]);
        using var admin = tools.Admin();
        using var rotated = await admin.PostAsync($"/api/agents/{Alice}/token/rotate", null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        using var alice = tools.Hub.Http((await rotated.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>());

        // Act + Assert 1: the approval that was pending still waits, and Alice's approval sends the email once.
        Assert.Equal(ProposalStatus.Pending, ToolHub.Status(await ToolHub.GetProposalAsync(alice, Proposal)));
        await ToolHub.DecideOkAsync(alice, Proposal, "approve");
        Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(await ToolHub.WaitForFinalAsync(alice, Proposal)));
        var email = Assert.Single(tools.Google.SentEmails);
        Assert.Equal(["sarah@acme.com"], email.To);
        Assert.Equal("Contract", email.Subject);

        // Act + Assert 2: the agent answers a new message, and its conversation keeps the turn from before the upgrade.
        using (var sent = await alice.PostAsJsonAsync($"/api/agents/{Alice}/messages", new { text = "When is the Acme contract due?" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        }

        JsonArray messages = [];
        await ToolHub.WaitUntilAsync(
            () => (messages = alice.GetFromJsonAsync<JsonObject>($"/api/agents/{Alice}/messages?top=50").GetAwaiter().GetResult()!["messages"]!.AsArray())
                .Any(m => m!["text"]!.GetValue<string>() == "You told me the Acme contract is due Friday."),
            "the agent's answer after the upgrade");
        // The turn recorded before the upgrade (its model call had been refused, and the agent said so) comes first.
        var texts = messages.Select(m => m!["text"]!.GetValue<string>()).ToList();
        Assert.Equal(4, texts.Count);
        Assert.Equal("Remember: the Acme contract is due Friday.", texts[0]);
        Assert.StartsWith("I could not reach the language model", texts[1], StringComparison.Ordinal);
        Assert.Equal(["When is the Acme contract due?", "You told me the Acme contract is due Friday."], texts[2..]);

        // Act + Assert 3: Bob, invited before the upgrade, signs in with Google and gets his agent.
        tools.Google.AddAccount("bob@company.com", "Bob");
        var bob = await tools.SignInWithGoogleAsync(Onboarding);
        Assert.Equal("bob-company-com", bob);
        await HubFlows.WaitForStepAsync(tools.Hub, Onboarding, "Active");
        var bobsAgent = await client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(bob));
        Assert.Equal(AgentStatus.Active, bobsAgent!.State.Status);
    }

    [Fact]
    public async Task PreviousReleasesStore_WithARowThisReleaseCannotRead_HubRefusesToStart_SayingWhatToDo_AndChangesNothing()
    {
        // Arrange: the fixture with one history row of a kind no release wrote.
        var directory = CopyFixture();
        var database = Path.Combine(directory, "CompanyHub.db");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var corrupt = connection.CreateCommand();
            corrupt.CommandText = $"INSERT INTO History (instance_id, seq, event) VALUES ('{Proposal}', 999, '{{\"t\":\"Mystery\",\"id\":-1,\"ts\":\"2026-12-07T06:31:00Z\"}}')";
            Assert.Equal(1, await corrupt.ExecuteNonQueryAsync());
        }

        var before = await File.ReadAllBytesAsync(database);
        var location = new HubLocation(directory, $"http://127.0.0.1:{HubServer.FreePort()}", (await File.ReadAllTextAsync(Path.Combine(directory, "master.key"))).Trim());

        // Act
        await using var hub = await HubChild.StartAsync(location, []);

        // Assert: the process ends with the reason and the way out, no stack trace, and the store as it was.
        Assert.True(await hub.WaitForExitAsync(TimeSpan.FromSeconds(30)), hub.Output);
        var output = hub.Output;
        Assert.Contains("Company Hub refused to start.", output, StringComparison.Ordinal);
        Assert.Contains($"Instance '{Proposal}' cannot be converted", output, StringComparison.Ordinal);
        Assert.Contains("Start the previous release on this data", output, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed.", output, StringComparison.Ordinal);
        Assert.False(output.Contains("   at ", StringComparison.Ordinal), output);
        Assert.Equal(before, await File.ReadAllBytesAsync(database));
    }

    private static string CopyFixture([CallerFilePath] string source = "")
    {
        var fixture = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "Fixtures", "v1", "sqlite-app"));
        var target = Path.Combine(Path.GetTempPath(), "hub-app-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(fixture))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }
}
