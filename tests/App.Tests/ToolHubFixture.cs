using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Attio;
using CompanyHub.Fakes.Google;
using CompanyHub.Fakes.Notion;

namespace CompanyHub.Tests;

/// <summary>
/// One hub with every company tool pointed at the fakes, Alice and Bob onboarded through the real Google sign-in, and
/// some data in Notion and Attio for the proposals to act on. Shared by the tests of a class (they run one at a time).
/// </summary>
public class ToolHubFixture : IAsyncLifetime
{
    public ToolHub Tools { get; private set; } = null!;

    public string Alice { get; private set; } = "";

    public string Bob { get; private set; } = "";

    public string WikiPageId { get; private set; } = "";

    public FakeNotionDatabase TasksDatabase { get; private set; } = null!;

    public string PersonId { get; private set; } = "";

    public virtual async Task InitializeAsync()
    {
        // A class's tests share Alice and Bob, and act far faster than they would.
        Tools = await ToolHub.StartAsync(settings: [.. ToolHub.PersonLimitsLifted, .. Settings]);
        Alice = await Tools.OnboardWithGoogleAsync("alice@company.com", "Alice Example");
        Bob = await Tools.OnboardWithGoogleAsync("bob@company.com", "Bob Example");
        WikiPageId = Tools.Notion.AddPage(null, "Team Wiki", "Welcome.");
        TasksDatabase = Tools.Notion.AddDatabase("Tasks", new JsonObject
        {
            ["Name"] = new JsonObject { ["title"] = new JsonObject() },
            ["Status"] = new JsonObject { ["select"] = new JsonObject { ["options"] = new JsonArray(Option("Todo"), Option("Doing"), Option("Done")) } },
        });
        PersonId = Tools.Attio.AddRecord("people", new JsonObject
        {
            ["name"] = new JsonArray(new JsonObject { ["first_name"] = "Sarah", ["last_name"] = "Client", ["full_name"] = "Sarah Client" }),
            ["email_addresses"] = new JsonArray("sarah@acme.com"),
            ["job_title"] = "Engineer",
        });
    }

    public virtual async Task DisposeAsync() => await Tools.DisposeAsync();

    /// <summary>Gets extra hub settings.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => [];

    /// <summary>How many write calls reached any fake, plus Bob's inbox size: unchanged means nothing was written.</summary>
    public async Task<int> WritesAsync()
    {
        var google = Tools.Google.CallCount(GoogleEndpoints.GmailSend) + Tools.Google.CallCount(GoogleEndpoints.CalendarInsert)
            + Tools.Google.CallCount(GoogleEndpoints.CalendarPatch) + Tools.Google.CallCount(GoogleEndpoints.CalendarDelete)
            + Tools.Google.CallCount(GoogleEndpoints.GmailDraftsCreate) + Tools.Google.CallCount(GoogleEndpoints.GmailDraftsSend)
            + Tools.Google.CallCount(GoogleEndpoints.DriveFilesCreate) + Tools.Google.CallCount(GoogleEndpoints.DocsBatchUpdate);
        var notion = Tools.Notion.CallCount(NotionEndpoints.PagesCreate) + Tools.Notion.CallCount(NotionEndpoints.PagesUpdate) + Tools.Notion.CallCount(NotionEndpoints.BlocksChildrenAppend);
        var attio = Tools.Attio.CallCount(AttioEndpoints.RecordsUpdate) + Tools.Attio.CallCount(AttioEndpoints.RecordsCreate) + Tools.Attio.CallCount(AttioEndpoints.RecordsAssert)
            + Tools.Attio.CallCount(AttioEndpoints.NotesCreate) + Tools.Attio.CallCount(AttioEndpoints.TasksCreate) + Tools.Attio.CallCount(AttioEndpoints.TasksUpdate);
        using var bob = Tools.User(Bob);
        var inbox = (await bob.GetFromJsonAsync<JsonArray>($"/api/agents/{Bob}/inbox"))!.Count;
        return google + notion + attio + inbox;
    }

    /// <summary>Proposes one of each of <paramref name="types"/> for an agent that has no other pending proposal, and waits until its list shows them all pending; returns their ids.</summary>
    public async Task<List<string>> ProposePendingAsync(HttpClient http, string agentId, params string[] types)
    {
        var pending = new List<string>();
        foreach (var type in types)
        {
            var id = await ToolHub.ProposeAsync(http, agentId, type, ProposalCases.Payload(this, type));
            await ToolHub.WaitForStatusAsync(http, id, Orchestrations.Approvals.ProposalStatus.Pending);
            pending.Add(id);
        }

        await ToolHub.WaitUntilAsync(
            () => http.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/proposals?status=pending").GetAwaiter().GetResult()!.Count == pending.Count,
            "the pending proposals in the agent's list");
        return pending;
    }

    private static JsonObject Option(string name) => new() { ["name"] = name };
}
