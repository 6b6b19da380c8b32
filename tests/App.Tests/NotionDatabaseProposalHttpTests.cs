using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>Notion pages in a database: the agent writes property values as text, the hub converts them by the schema.</summary>
public sealed class NotionDatabaseProposalHttpTests(ToolHubFixture fixture) : IClassFixture<ToolHubFixture>
{
    [Theory]
    [InlineData("parentDatabaseId")]
    [InlineData("parentDataSourceId")]
    public async Task CreateNotionPage_InADatabase_TextAndRawPropertiesFollowTheSchema(string parentField)
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var parent = parentField == "parentDatabaseId" ? fixture.TasksDatabase.Id : fixture.TasksDatabase.DataSourceId;
        var title = $"Review {Guid.NewGuid():N}";
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.CreateNotionPage, new JsonObject
        {
            [parentField] = parent,
            ["title"] = title,
            ["properties"] = new JsonObject { ["Status"] = "Doing" },
            ["content"] = "Notes",
        });
        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        var pageId = System.Text.RegularExpressions.Regex.Match(done["result"]!.GetValue<string>(), @"([0-9a-f]{32})\)$").Groups[1].Value;
        var page = fixture.Tools.Notion.GetPage(pageId)!;
        Assert.Equal(title, ProposalCases.PlainText(page["properties"]!["Name"]!["title"]!));
        Assert.Equal("Doing", page["properties"]!["Status"]!["select"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task UpdateNotionPage_TextPropertyValue_IsConvertedByThePagesType()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var pageId = fixture.Tools.Notion.AddDatabasePage(fixture.TasksDatabase.Id, "Ship v2", new JsonObject { ["Status"] = new JsonObject { ["select"] = new JsonObject { ["name"] = "Todo" } } });
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.UpdateNotionPage, new JsonObject { ["pageId"] = pageId, ["properties"] = new JsonObject { ["Status"] = "Done" } });
        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Equal("Done", fixture.Tools.Notion.GetPage(pageId)!["properties"]!["Status"]!["select"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateNotionPage_UnderAPage_WithProperties_IsRefusedWhenProposed()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var response = await alice.PostAsJsonAsync($"/api/agents/{fixture.Alice}/proposals", new
        {
            type = ProposalTypes.CreateNotionPage,
            payload = new JsonObject { ["parentPageId"] = fixture.WikiPageId, ["title"] = "x", ["properties"] = new JsonObject { ["Status"] = "Done" } },
        });

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("payload.properties", (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().Select(e => e.Key));
    }
}
