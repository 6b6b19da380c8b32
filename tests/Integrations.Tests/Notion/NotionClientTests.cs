using System.Net;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Notion;
using CompanyHub.Integrations.Notion;

namespace CompanyHub.Integrations.Tests.Notion;

public sealed class NotionClientTests : IAsyncLifetime
{
    private const string Old = "2022-06-28";
    private const string New = "2025-09-03";
    private readonly List<ClientHost> _hosts = [];
    private FakeNotion _notion = null!;
    private FakeNotionDatabase _tasks = null!;

    public async Task InitializeAsync()
    {
        _notion = await FakeNotion.StartAsync(Timeouts.Test);
        _tasks = _notion.AddDatabase("Team tasks", JsonNode.Parse("""
            {
              "Name": {"title": {}},
              "Status": {"status": {"options": [{"name": "Not started"}, {"name": "In progress"}, {"name": "Done"}]}},
              "Priority": {"select": {"options": [{"name": "High"}, {"name": "Low"}]}},
              "Tags": {"multi_select": {"options": [{"name": "sales"}]}},
              "Due": {"date": {}},
              "Done": {"checkbox": {}},
              "Points": {"number": {}},
              "Notes": {"rich_text": {}},
              "Link": {"url": {}}
            }
            """)!.AsObject());
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        await _notion.DisposeAsync();
    }

    [Theory]
    [InlineData(Old, "database")]
    [InlineData(New, "data_source")]
    public async Task SearchAsync_Title_FindsPagesAndDatabasesOfTheVersionsKind(string version, string databaseKind)
    {
        _notion.AddPage(null, "Team handbook");
        _notion.AddDatabasePage(_tasks.Id, "Prepare team offsite");
        _notion.AddPage(null, "Unrelated");

        var result = await Client(version).SearchAsync("team", cancellationToken: Timeouts.Test);

        Assert.Equal(3, result.Items.Count);
        Assert.Contains(result.Items, i => i.Object == "page" && i.Title == "Team handbook" && i.Url!.StartsWith("https://www.notion.so/Team-handbook-", StringComparison.Ordinal));
        Assert.Contains(result.Items, i => i.Object == databaseKind && i.Title == "Team tasks");
        Assert.Null(result.NextCursor);
    }

    [Theory]
    [InlineData(Old)]
    [InlineData(New)]
    public async Task SearchAsync_DatabasesOnly_SendsTheVersionsFilterValue(string version)
    {
        _notion.AddPage(null, "Team handbook");

        var result = await Client(version).SearchAsync("team", NotionSearchFilter.Databases, cancellationToken: Timeouts.Test);

        Assert.Equal("Team tasks", Assert.Single(result.Items).Title);
        var body = _notion.RequestsTo(NotionEndpoints.Search).Single().Json()!;
        Assert.Equal(version == Old ? "database" : "data_source", body["filter"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task SearchAsync_ManyHits_PagesWithCursor()
    {
        for (var i = 0; i < 5; i++)
        {
            _notion.AddPage(null, $"Meeting notes {i}");
        }

        var client = Client(New);
        var first = await client.SearchAsync("meeting", NotionSearchFilter.Pages, pageSize: 3, cancellationToken: Timeouts.Test);
        var second = await client.SearchAsync("meeting", NotionSearchFilter.Pages, pageSize: 3, startCursor: first.NextCursor, cancellationToken: Timeouts.Test);

        Assert.Equal(3, first.Items.Count);
        Assert.NotNull(first.NextCursor);
        Assert.Equal(2, second.Items.Count);
        Assert.Null(second.NextCursor);
        Assert.Empty(first.Items.Select(i => i.Id).Intersect(second.Items.Select(i => i.Id)));
    }

    [Theory]
    [InlineData(Old, new[] { NotionEndpoints.DatabasesQuery })]
    [InlineData(New, new[] { NotionEndpoints.DatabasesRetrieve, NotionEndpoints.DataSourcesQuery })]
    public async Task QueryDatabaseAsync_FilterAndSort_UsesTheVersionsEndpointsAndSimplifiesProperties(string version, string[] endpoints)
    {
        _notion.AddDatabasePage(_tasks.Id, "Write proposal", Props("""{"Status": {"status": {"name": "In progress"}}, "Points": {"number": 5}, "Tags": {"multi_select": [{"name": "sales"}, {"name": "q2"}]}, "Due": {"date": {"start": "2026-12-01", "end": "2026-12-03"}}}"""));
        _notion.AddDatabasePage(_tasks.Id, "Book venue", Props("""{"Status": {"status": {"name": "In progress"}}, "Points": {"number": 2}, "Done": {"checkbox": true}}"""));
        _notion.AddDatabasePage(_tasks.Id, "Old thing", Props("""{"Status": {"status": {"name": "Done"}}, "Points": {"number": 8}}"""));

        var filter = JsonNode.Parse("""{"property": "Status", "status": {"equals": "In progress"}}""")!.AsObject();
        var sorts = JsonNode.Parse("""[{"property": "Points", "direction": "descending"}]""")!.AsArray();
        var result = await Client(version).QueryDatabaseAsync(_tasks.Id, filter, sorts, cancellationToken: Timeouts.Test);

        Assert.Equal(["Write proposal", "Book venue"], result.Items.Select(p => p.Title));
        var proposal = result.Items[0].Properties;
        Assert.Equal("In progress", proposal["Status"]);
        Assert.Equal("5", proposal["Points"]);
        Assert.Equal("sales, q2", proposal["Tags"]);
        Assert.Equal("2026-12-01/2026-12-03", proposal["Due"]);
        Assert.Equal("false", proposal["Done"]);
        Assert.Null(proposal["Notes"]);
        Assert.Equal("true", result.Items[1].Properties["Done"]);
        Assert.Equal(version == Old ? "database_id" : "data_source_id", result.Items[0].ParentType);
        Assert.Equal(endpoints, _notion.Requests.Select(r => r.Endpoint));
        Assert.All(_notion.Requests, r => Assert.Equal(version, r.Header("Notion-Version")));
    }

    [Fact]
    public async Task QueryDatabaseAsync_CompoundFilterAndCursor_PagesThroughMatches()
    {
        for (var i = 1; i <= 4; i++)
        {
            _notion.AddDatabasePage(_tasks.Id, $"Task {i}", Props("{\"Points\": {\"number\": " + i + "}, \"Priority\": {\"select\": {\"name\": \"High\"}}}"));
        }

        var filter = JsonNode.Parse("""{"and": [{"property": "Priority", "select": {"equals": "High"}}, {"property": "Points", "number": {"greater_than": 1}}]}""")!.AsObject();
        var sorts = JsonNode.Parse("""[{"property": "Points", "direction": "ascending"}]""")!.AsArray();
        var client = Client(New);
        var first = await client.QueryDatabaseAsync(_tasks.Id, filter, sorts, pageSize: 2, cancellationToken: Timeouts.Test);
        var second = await client.QueryDatabaseAsync(_tasks.Id, filter, sorts, pageSize: 2, startCursor: first.NextCursor, cancellationToken: Timeouts.Test);

        Assert.Equal(["Task 2", "Task 3"], first.Items.Select(p => p.Title));
        Assert.Equal(["Task 4"], second.Items.Select(p => p.Title));
    }

    [Fact]
    public async Task QueryDatabaseAsync_UnknownProperty_FailsWithNotionsValidationMessage()
    {
        var filter = JsonNode.Parse("""{"property": "Owner", "rich_text": {"contains": "x"}}""")!.AsObject();

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Client(Old).QueryDatabaseAsync(_tasks.Id, filter, cancellationToken: Timeouts.Test));

        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Equal("validation_error", ex.ErrorCode);
        Assert.Equal("Could not find property with name or id: Owner", ex.ServiceMessage);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task GetPageAsync_NotionUrlOrUndashedId_ReadsThePage()
    {
        var id = _notion.AddDatabasePage(_tasks.Id, "Write proposal", Props("""{"Link": {"url": "https://acme.com"}}"""));
        var client = Client(New);

        var byUrl = await client.GetPageAsync($"https://www.notion.so/acme/Write-proposal-{id.Replace("-", string.Empty, StringComparison.Ordinal)}?pvs=4", Timeouts.Test);
        var byHex = await client.GetPageAsync(id.Replace("-", string.Empty, StringComparison.Ordinal).ToUpperInvariant(), Timeouts.Test);

        Assert.Equal(id, byUrl.Id);
        Assert.Equal(id, byHex.Id);
        Assert.Equal("Write proposal", byUrl.Title);
        Assert.Equal("https://acme.com", byUrl.Properties["Link"]);
        Assert.Equal(_tasks.DataSourceId, byUrl.ParentId);
        Assert.False(byUrl.Archived);
    }

    [Fact]
    public async Task GetPageAsync_UnknownPage_FailsWithObjectNotFound()
    {
        var missing = Guid.NewGuid().ToString();

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Client(New).GetPageAsync(missing, Timeouts.Test));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Equal("object_not_found", ex.ErrorCode);
        Assert.StartsWith($"Could not find page with ID: {missing}.", ex.ServiceMessage, StringComparison.Ordinal);
        Assert.Equal("Notion", ex.Service);
    }

    [Fact]
    public async Task GetPageAsync_NotAnId_IsRefusedBeforeAnyRequest()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Client(New).GetPageAsync("the proposal page", Timeouts.Test));
        Assert.Equal(0, _notion.TotalCalls);
    }

    [Theory]
    [InlineData(Old)]
    [InlineData(New)]
    public async Task CreatePageAsync_InDatabase_ConvertsTextValuesByPropertyType(string version)
    {
        var page = await Client(version).CreatePageAsync(new NotionPageDraft
        {
            ParentDatabaseId = _tasks.Id,
            Title = "Follow up with Sarah",
            Properties = new Dictionary<string, string>
            {
                ["Status"] = "Not started",
                ["Priority"] = "Urgent",
                ["Tags"] = "sales, follow-up",
                ["Due"] = "2026-12-01",
                ["Done"] = "no",
                ["Points"] = "3.5",
                ["Notes"] = "Call before Friday",
                ["Link"] = "https://acme.com/q2",
            },
            Content = "# Agenda\n- pricing\n- timeline\n[ ] send deck\nThanks!",
        }, Timeouts.Test);

        Assert.Equal("Follow up with Sarah", page.Title);
        Assert.Equal("Not started", page.Properties["Status"]);
        Assert.Equal("Urgent", page.Properties["Priority"]);
        Assert.Equal("sales, follow-up", page.Properties["Tags"]);
        Assert.Equal("2026-12-01", page.Properties["Due"]);
        Assert.Equal("false", page.Properties["Done"]);
        Assert.Equal("3.5", page.Properties["Points"]);
        Assert.Equal("Call before Friday", page.Properties["Notes"]);
        Assert.Equal(
            ["heading_1", "bulleted_list_item", "bulleted_list_item", "to_do", "paragraph"],
            _notion.GetBlocks(page.Id).Select(b => b["type"]!.GetValue<string>()));
        var parent = _notion.RequestsTo(NotionEndpoints.PagesCreate).Single().Json()!["parent"]!;
        Assert.Equal(version == Old ? _tasks.Id : _tasks.DataSourceId, (parent["database_id"] ?? parent["data_source_id"])!.GetValue<string>());
        Assert.Contains(_notion.GetSchema(_tasks.Id)["Priority"]!["select"]!["options"]!.AsArray(), o => o!["name"]!.GetValue<string>() == "Urgent");
    }

    [Fact]
    public async Task CreatePageAsync_RawPropertiesWinOverText()
    {
        var page = await Client(New).CreatePageAsync(new NotionPageDraft
        {
            ParentDatabaseId = _tasks.Id,
            Title = "Raw",
            Properties = new Dictionary<string, string> { ["Points"] = "1" },
            RawProperties = Props("""{"Points": {"number": 42}}"""),
        }, Timeouts.Test);

        Assert.Equal("42", page.Properties["Points"]);
    }

    [Fact]
    public async Task CreatePageAsync_UnknownProperty_IsRefusedWithTheListOfProperties()
    {
        var draft = new NotionPageDraft { ParentDatabaseId = _tasks.Id, Title = "x", Properties = new Dictionary<string, string> { ["Owner"] = "Bob" } };

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => Client(New).CreatePageAsync(draft, Timeouts.Test));

        Assert.Contains("There is no property 'Owner'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Status", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, _notion.CallCount(NotionEndpoints.PagesCreate));
    }

    [Fact]
    public async Task CreatePageAsync_NumberPropertyWithText_IsRefused()
    {
        var draft = new NotionPageDraft { ParentDatabaseId = _tasks.Id, Title = "x", Properties = new Dictionary<string, string> { ["Points"] = "many" } };
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => Client(Old).CreatePageAsync(draft, Timeouts.Test));
        Assert.Contains("'Points' is a number", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreatePageAsync_UnknownStatus_FailsWithNotionsValidationError()
    {
        var draft = new NotionPageDraft { ParentDatabaseId = _tasks.Id, Title = "x", Properties = new Dictionary<string, string> { ["Status"] = "Blocked" } };

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Client(New).CreatePageAsync(draft, Timeouts.Test));

        Assert.Equal("validation_error", ex.ErrorCode);
        Assert.Contains("Blocked", ex.ServiceMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreatePageAsync_UnderAPage_HasOnlyATitle()
    {
        var parent = _notion.AddPage(null, "Wiki");

        var page = await Client(New).CreatePageAsync(new NotionPageDraft { ParentPageId = parent, Title = "Onboarding", Content = "Welcome!" }, Timeouts.Test);

        Assert.Equal("Onboarding", page.Title);
        Assert.Equal("page_id", page.ParentType);
        Assert.Equal(parent, page.ParentId);
        Assert.Equal("Welcome!\n", await Client(New).GetPageTextAsync(page.Id, cancellationToken: Timeouts.Test));
    }

    [Fact]
    public async Task CreatePageAsync_LongText_IsSplitIntoRichTextPiecesOfAtMost2000()
    {
        var notes = string.Concat(Enumerable.Repeat("0123456789", 450));

        var page = await Client(New).CreatePageAsync(new NotionPageDraft
        {
            ParentDatabaseId = _tasks.Id,
            Title = "Long",
            Properties = new Dictionary<string, string> { ["Notes"] = notes },
        }, Timeouts.Test);

        Assert.Equal(notes, page.Properties["Notes"]);
        var pieces = _notion.RequestsTo(NotionEndpoints.PagesCreate).Single().Json()!["properties"]!["Notes"]!["rich_text"]!.AsArray();
        Assert.Equal(3, pieces.Count);
    }

    [Theory]
    [InlineData(Old)]
    [InlineData(New)]
    public async Task UpdatePageAsync_TextValuesAndTrash_AreApplied(string version)
    {
        var id = _notion.AddDatabasePage(_tasks.Id, "Write proposal", Props("""{"Status": {"status": {"name": "In progress"}}}"""));

        var updated = await Client(version).UpdatePageAsync(id, new NotionPageUpdate { Properties = new Dictionary<string, string> { ["Status"] = "Done", ["Done"] = "yes" } }, Timeouts.Test);
        var trashed = await Client(version).UpdatePageAsync(id, new NotionPageUpdate { Archived = true }, Timeouts.Test);

        Assert.Equal("Done", updated.Properties["Status"]);
        Assert.Equal("true", updated.Properties["Done"]);
        Assert.True(trashed.Archived);
        Assert.True(_notion.GetPage(id)!["in_trash"]!.GetValue<bool>());
        Assert.Equal([NotionEndpoints.PagesRetrieve, NotionEndpoints.PagesUpdate, NotionEndpoints.PagesUpdate], _notion.Requests.Select(r => r.Endpoint));
    }

    [Fact]
    public async Task UpdatePageAsync_TrashedPage_FailsWithNotionsMessage()
    {
        var id = _notion.AddDatabasePage(_tasks.Id, "Gone");
        await Client(New).UpdatePageAsync(id, new NotionPageUpdate { Archived = true }, Timeouts.Test);

        var ex = await Assert.ThrowsAsync<IntegrationException>(() =>
            Client(New).UpdatePageAsync(id, new NotionPageUpdate { Properties = new Dictionary<string, string> { ["Notes"] = "x" } }, Timeouts.Test));

        Assert.Equal("Can't edit block that is archived. You must unarchive the block before editing.", ex.ServiceMessage);
    }

    [Fact]
    public async Task AppendTextAsync_MoreThanAHundredLines_IsSentInBatchesAndReadsBack()
    {
        var id = _notion.AddPage(null, "Log");
        var lines = Enumerable.Range(1, 130).Select(i => i % 10 == 0 ? $"## Section {i}" : $"- item {i}").ToArray();

        var appended = await Client(New).AppendTextAsync(id, string.Join('\n', lines), Timeouts.Test);
        var text = await Client(New).GetPageTextAsync(id, cancellationToken: Timeouts.Test);

        Assert.Equal(130, appended);
        Assert.Equal(2, _notion.CallCount(NotionEndpoints.BlocksChildrenAppend));
        Assert.Equal(string.Join('\n', lines) + "\n", text);
        Assert.Equal(2, _notion.CallCount(NotionEndpoints.BlocksChildrenList));
    }

    [Fact]
    public async Task AppendBlocksAsync_HeadingsToDosBullets_AreSentAsTheirBlockTypesAndReadBack()
    {
        var id = _notion.AddPage(null, "Plan");
        NotionBlockDraft[] blocks =
        [
            new("heading_2", "Next steps"),
            new("to_do", "Send the offer", Checked: false),
            new("to_do", "Book the room", Checked: true),
            new("bulleted_list_item", "Budget agreed"),
            new("divider", ""),
            new("paragraph", "Notes follow."),
        ];

        var appended = await Client(New).AppendBlocksAsync(id, blocks, Timeouts.Test);

        Assert.Equal(6, appended);
        var sent = _notion.RequestsTo(NotionEndpoints.BlocksChildrenAppend).Single().Json()!["children"]!.AsArray();
        Assert.Equal(["heading_2", "to_do", "to_do", "bulleted_list_item", "divider", "paragraph"], sent.Select(b => b!["type"]!.GetValue<string>()));
        Assert.False(sent[1]!["to_do"]!["checked"]!.GetValue<bool>());
        Assert.True(sent[2]!["to_do"]!["checked"]!.GetValue<bool>());
        Assert.Equal("Send the offer", sent[1]!["to_do"]!["rich_text"]![0]!["text"]!["content"]!.GetValue<string>());
        var text = await Client(New).GetPageTextAsync(id, cancellationToken: Timeouts.Test);
        Assert.Equal("## Next steps\n[ ] Send the offer\n[x] Book the room\n- Budget agreed\n---\nNotes follow.\n", text);
    }

    [Fact]
    public async Task AppendBlocksAsync_UnknownType_IsRefusedBeforeAnyCall()
    {
        var id = _notion.AddPage(null, "Plan");

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => Client(New).AppendBlocksAsync(id, [new("paragraph", "ok"), new("table", "x")], Timeouts.Test));

        Assert.Contains("'table' is not a block type", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, _notion.CallCount(NotionEndpoints.BlocksChildrenAppend));
    }

    [Fact]
    public async Task GetPageTextAsync_MaxBlocks_StopsAndSaysSo()
    {
        var id = _notion.AddPage(null, "Long page", [.. Enumerable.Range(1, 10).Select(i => $"Paragraph {i}")]);

        var text = await Client(New).GetPageTextAsync(id, maxBlocks: 4, cancellationToken: Timeouts.Test);

        Assert.Equal("Paragraph 1\nParagraph 2\nParagraph 3\nParagraph 4\n[… more blocks not read]\n", text);
    }

    [Fact]
    public async Task AnyCall_WrongKey_IsUnauthorized()
    {
        var client = Client(New);
        _notion.ApiKey = "ntn_rotated";

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => client.SearchAsync("x", cancellationToken: Timeouts.Test));

        Assert.True(ex.IsUnauthorized);
        Assert.Equal("unauthorized", ex.ErrorCode);
        Assert.Equal("API token is invalid.", ex.ServiceMessage);
        Assert.DoesNotContain("ntn_fake_integration_secret", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyCall_SendsBearerKeyAndVersionHeaders()
    {
        await Client(New).SearchAsync(null, cancellationToken: Timeouts.Test);

        var request = Assert.Single(_notion.Requests);
        Assert.Equal("Bearer " + _notion.ApiKey, request.Header("Authorization"));
        Assert.Equal(New, request.Header("Notion-Version"));
        Assert.StartsWith("application/json", request.Header("Content-Type"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyCall_RateLimited_IsTransientWithRetryAfter()
    {
        _notion.RateLimitNext(1, TimeSpan.FromSeconds(2));

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Client(New).SearchAsync("x", cancellationToken: Timeouts.Test));

        Assert.True(ex.IsTransient);
        Assert.Equal("rate_limited", ex.ErrorCode);
        Assert.Equal(TimeSpan.FromSeconds(2), ex.RetryAfter);
    }

    [Fact]
    public async Task AnyCall_ConflictError_IsTransient()
    {
        _notion.FailNext(1, 409, "Transaction could not be completed, potentially due to a data collision.");

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Client(New).GetPageAsync(Guid.NewGuid().ToString(), Timeouts.Test));

        Assert.True(ex.IsTransient);
        Assert.Equal("conflict_error", ex.ErrorCode);
    }

    [Fact]
    public async Task Client_WithoutKey_SaysToSetNotionApiKey()
    {
        await using var host = new ClientHost([new("Notion:BaseUrl", _notion.Url)]);
        var client = host.Get<INotionClient>();

        Assert.False(client.IsConfigured);
        var ex = await Assert.ThrowsAsync<ToolNotConfiguredException>(() => client.SearchAsync("x", cancellationToken: Timeouts.Test));
        Assert.Equal("Notion is not configured: set NOTION_API_KEY", ex.Message);
        Assert.Equal(0, _notion.TotalCalls);
    }

    private INotionClient Client(string version)
    {
        var host = new ClientHost(_notion.ConfigurationValues(version));
        _hosts.Add(host);
        return host.Get<INotionClient>();
    }

    private static JsonObject Props(string json) => JsonNode.Parse(json)!.AsObject();
}
