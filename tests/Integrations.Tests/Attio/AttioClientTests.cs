using System.Net;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Attio;
using CompanyHub.Integrations.Attio;

namespace CompanyHub.Integrations.Tests.Attio;

public sealed class AttioClientTests : IAsyncLifetime
{
    private FakeAttio _attio = null!;
    private ClientHost _host = null!;

    private IAttioClient Attio => _host.Get<IAttioClient>();

    public async Task InitializeAsync()
    {
        _attio = await FakeAttio.StartAsync(Timeouts.Test);
        _host = new ClientHost(_attio.ConfigurationValues());
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _attio.DisposeAsync();
    }

    [Fact]
    public async Task CreateRecordAsync_Person_ReturnsValuesAsText()
    {
        var company = _attio.AddRecord("companies", Json("""{"name": "Acme", "domains": ["acme.com"]}"""));

        var person = await Attio.CreateRecordAsync("people", Json($$"""
            {
              "name": [{"first_name": "Sarah", "last_name": "Müller", "full_name": "Sarah Müller"}],
              "email_addresses": ["Sarah@Acme.com", "s.mueller@acme.com"],
              "job_title": "Head of Procurement",
              "phone_numbers": [{"original_phone_number": "+49 30 1234567", "country_code": "DE"}],
              "company": {"target_object": "companies", "target_record_id": "{{company}}"}
            }
            """), Timeouts.Test);

        Assert.Equal("people", person.Object);
        Assert.False(string.IsNullOrEmpty(person.Id));
        Assert.Equal("Sarah Müller", person.Values["name"]);
        Assert.Equal("sarah@acme.com; s.mueller@acme.com", person.Values["email_addresses"]);
        Assert.Equal("Head of Procurement", person.Values["job_title"]);
        Assert.Equal("+49 30 1234567", person.Values["phone_numbers"]);
        Assert.Equal($"companies/{company}", person.Values["company"]);
        Assert.False(person.Values.ContainsKey("description"));
        Assert.EndsWith(person.Id, person.WebUrl, StringComparison.Ordinal);
        Assert.NotNull(person.CreatedAt);
        Assert.Equal("Bearer " + _attio.ApiKey, _attio.Requests.Single().Header("Authorization"));
    }

    [Fact]
    public async Task ListTasksAsync_OpenTasksOfARecord_SendsAttiosQueryAndReadsTasks()
    {
        var company = _attio.AddRecord("companies", Json("""{"name": "Acme"}"""));
        var open = _attio.AddTask("Call Acme back", linkedObject: "companies", linkedRecordId: company);
        _attio.AddTask("Old Acme task", completed: true, linkedObject: "companies", linkedRecordId: company);
        _attio.AddTask("Unrelated task");

        var tasks = await Attio.ListTasksAsync(isCompleted: false, linkedTo: new AttioRecordReference("companies", company), limit: 5, cancellationToken: Timeouts.Test);

        var task = Assert.Single(tasks);
        Assert.Equal(open, task.Id);
        Assert.Equal("Call Acme back", task.Content);
        Assert.False(task.IsCompleted);
        Assert.Equal(company, Assert.Single(task.LinkedRecords).RecordId);
        var query = _attio.RequestsTo(AttioEndpoints.TasksList).Single().QueryParameters();
        Assert.Equal("false", query["is_completed"]);
        Assert.Equal("companies", query["linked_object"]);
        Assert.Equal(company, query["linked_record_id"]);
        Assert.Equal("5", query["limit"]);
        Assert.Equal("created_at:desc", query["sort"]);
    }

    [Fact]
    public async Task SetTaskCompletedAsync_PatchesIsCompleted()
    {
        var id = _attio.AddTask("Send the offer");

        var task = await Attio.SetTaskCompletedAsync(id, true, Timeouts.Test);

        Assert.True(task.IsCompleted);
        var request = _attio.RequestsTo(AttioEndpoints.TasksUpdate).Single();
        Assert.Equal("PATCH", request.Method);
        Assert.Equal($"/v2/tasks/{id}", request.Path);
        Assert.Equal("""{"data":{"is_completed":true}}""", request.Json()!.ToJsonString());
        Assert.True(Assert.Single(_attio.Tasks)["is_completed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task SetTaskCompletedAsync_UnknownTask_FailsWithAttiosNotFound()
    {
        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Attio.SetTaskCompletedAsync(Guid.NewGuid().ToString(), true, Timeouts.Test));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task ListNotesAsync_OfOneRecord_ReadsTitlesAndText()
    {
        var person = _attio.AddRecord("people", Json("""{"email_addresses": ["sarah@acme.com"]}"""));
        var other = _attio.AddRecord("people", Json("""{"email_addresses": ["tom@acme.com"]}"""));
        _attio.AddNote("people", person, "Intro call", "Wants a demo in May.");
        _attio.AddNote("people", other, "Other", "Not this one.");

        var notes = await Attio.ListNotesAsync(new AttioRecordReference("people", person), cancellationToken: Timeouts.Test);

        var note = Assert.Single(notes);
        Assert.Equal("Intro call", note.Title);
        Assert.Equal("Wants a demo in May.", note.Content);
        Assert.Equal(new AttioRecordReference("people", person), note.Parent);
        var query = _attio.RequestsTo(AttioEndpoints.NotesList).Single().QueryParameters();
        Assert.Equal("people", query["parent_object"]);
        Assert.Equal(person, query["parent_record_id"]);
    }

    [Fact]
    public async Task CreateRecordAsync_DuplicateUniqueEmail_FailsWithUniquenessConflict()
    {
        _attio.AddRecord("people", Json("""{"email_addresses": ["sarah@acme.com"]}"""));

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Attio.CreateRecordAsync("people", Json("""{"email_addresses": ["SARAH@acme.com"]}"""), Timeouts.Test));

        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Equal("uniqueness_conflict", ex.ErrorCode);
        Assert.Contains("email_addresses", ex.ServiceMessage, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task CreateRecordAsync_UnknownAttribute_FailsWithAttiosMessage()
    {
        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Attio.CreateRecordAsync("people", Json("""{"shoe_size": 42}"""), Timeouts.Test));

        Assert.Equal("value_not_found", ex.ErrorCode);
        Assert.Equal("Cannot find attribute with slug/ID \"shoe_size\".", ex.ServiceMessage);
        Assert.Equal("Attio attio.records.create failed with 400 Bad Request (value_not_found): Cannot find attribute with slug/ID \"shoe_size\".", ex.Message);
    }

    [Fact]
    public async Task QueryRecordsAsync_ShorthandFilter_FindsByEmail()
    {
        _attio.AddRecord("people", Json("""{"name": "Sarah Müller", "email_addresses": ["sarah@acme.com"]}"""));
        _attio.AddRecord("people", Json("""{"name": "Bob Stone", "email_addresses": ["bob@acme.com"]}"""));

        var found = await Attio.QueryRecordsAsync("people", Json("""{"email_addresses": "sarah@acme.com"}"""), cancellationToken: Timeouts.Test);

        Assert.Equal("Sarah Müller", Assert.Single(found).Values["name"]);
    }

    [Fact]
    public async Task QueryRecordsAsync_VerboseFilterSortsAndPaging_AreSentAndApplied()
    {
        foreach (var (name, value, stage) in new[] { ("Acme renewal", 50000, "In Progress"), ("Globex pilot", 12000, "In Progress"), ("Initech", 90000, "Lost"), ("Umbrella", 30000, "In Progress") })
        {
            _attio.AddRecord("deals", Json($$"""{"name": "{{name}}", "value": {{value}}, "stage": "{{stage}}"}"""));
        }

        var filter = Json("""{"$and": [{"stage": {"status": {"$eq": "In Progress"}}}, {"value": {"currency_value": {"$gte": 20000}}}]}""");
        var sorts = JsonNode.Parse("""[{"direction": "desc", "attribute": "value", "field": "currency_value"}]""")!.AsArray();
        var deals = await Attio.QueryRecordsAsync("deals", filter, sorts, limit: 1, offset: 1, cancellationToken: Timeouts.Test);

        var deal = Assert.Single(deals);
        Assert.Equal("Umbrella", deal.Values["name"]);
        Assert.Equal("30000 USD", deal.Values["value"]);
        Assert.Equal("In Progress", deal.Values["stage"]);
        var body = _attio.RequestsTo(AttioEndpoints.RecordsQuery).Single().Json()!;
        Assert.Equal(1, body["limit"]!.GetValue<int>());
        Assert.Equal(1, body["offset"]!.GetValue<int>());
        Assert.Equal("In Progress", body["filter"]!["$and"]![0]!["stage"]!["status"]!["$eq"]!.GetValue<string>());
    }

    [Fact]
    public async Task QueryRecordsAsync_UnknownAttributeInFilter_FailsWithFilterError()
    {
        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Attio.QueryRecordsAsync("people", Json("""{"nickname": "x"}"""), cancellationToken: Timeouts.Test));
        Assert.Equal("filter_error", ex.ErrorCode);
    }

    [Fact]
    public async Task QueryRecordsAsync_UnknownObject_FailsWithNotFound()
    {
        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Attio.QueryRecordsAsync("unicorns", cancellationToken: Timeouts.Test));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Equal("Object with slug/ID \"unicorns\" not found.", ex.ServiceMessage);
    }

    [Fact]
    public async Task GetRecordAsync_Company_ReturnsSelectAndDomainValues()
    {
        var id = _attio.AddRecord("companies", Json("""{"name": "Acme", "domains": ["acme.com", "acme.io"], "categories": ["SaaS", "B2B"], "employee_range": "51-250"}"""));

        var company = await Attio.GetRecordAsync("companies", id, Timeouts.Test);

        Assert.Equal(id, company.Id);
        Assert.Equal("acme.com; acme.io", company.Values["domains"]);
        Assert.Equal("SaaS; B2B", company.Values["categories"]);
        Assert.Equal("51-250", company.Values["employee_range"]);
    }

    [Fact]
    public async Task GetRecordAsync_UnknownRecord_FailsWithNotFound()
    {
        var missing = Guid.NewGuid().ToString();

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Attio.GetRecordAsync("people", missing, Timeouts.Test));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Equal("not_found", ex.ErrorCode);
        Assert.Equal($"Record with ID \"{missing}\" not found.", ex.ServiceMessage);
    }

    [Fact]
    public async Task UpdateRecordAsync_AddsToMultiValuesAndReplacesSingleValues()
    {
        var id = _attio.AddRecord("people", Json("""{"name": "Sarah Müller", "email_addresses": ["sarah@acme.com"], "job_title": "Buyer"}"""));

        var updated = await Attio.UpdateRecordAsync("people", id, Json("""{"email_addresses": ["sarah@private.de"], "job_title": "Head of Procurement"}"""), Timeouts.Test);

        Assert.Equal("sarah@acme.com; sarah@private.de", updated.Values["email_addresses"]);
        Assert.Equal("Head of Procurement", updated.Values["job_title"]);
        Assert.Equal("PATCH", _attio.RequestsTo(AttioEndpoints.RecordsUpdate).Single().Method);
    }

    [Fact]
    public async Task UpdateRecordAsync_UnknownStatus_FailsWithValueNotFound()
    {
        var id = _attio.AddRecord("deals", Json("""{"name": "Acme renewal", "stage": "Lead"}"""));

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Attio.UpdateRecordAsync("deals", id, Json("""{"stage": "Negotiation"}"""), Timeouts.Test));

        Assert.Equal("value_not_found", ex.ErrorCode);
        Assert.Contains("Negotiation", ex.ServiceMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AssertRecordAsync_SameEmailTwice_CreatesOnceThenUpdatesThatRecord()
    {
        var created = await Attio.AssertRecordAsync("people", "email_addresses", Json("""{"email_addresses": ["sarah@acme.com"], "job_title": "Buyer"}"""), Timeouts.Test);
        var updated = await Attio.AssertRecordAsync("people", "email_addresses", Json("""{"email_addresses": ["sarah@acme.com"], "job_title": "Head of Procurement"}"""), Timeouts.Test);

        Assert.Equal(created.Id, updated.Id);
        Assert.Equal("Head of Procurement", updated.Values["job_title"]);
        Assert.Equal(1, _attio.RecordCount("people"));
        var request = _attio.RequestsTo(AttioEndpoints.RecordsAssert)[0];
        Assert.Equal("PUT", request.Method);
        Assert.Equal("email_addresses", request.QueryParameters()["matching_attribute"]);
    }

    [Fact]
    public async Task AssertRecordAsync_NonUniqueMatchingAttribute_IsRefused()
    {
        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Attio.AssertRecordAsync("people", "job_title", Json("""{"job_title": "Buyer"}"""), Timeouts.Test));
        Assert.Contains("must be unique", ex.ServiceMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateNoteAsync_OnAPerson_IsStoredWithTitleAndText()
    {
        var person = _attio.AddRecord("people", Json("""{"name": "Sarah Müller"}"""));

        var note = await Attio.CreateNoteAsync(new AttioNoteDraft(new AttioRecordReference("people", person), "Call summary", "Agreed on Q2 pricing.\nNext: contract."), Timeouts.Test);

        Assert.False(string.IsNullOrEmpty(note.Id));
        Assert.Equal("Call summary", note.Title);
        Assert.Equal("Agreed on Q2 pricing.\nNext: contract.", note.Content);
        Assert.Equal(new AttioRecordReference("people", person), note.Parent);
        var stored = Assert.Single(_attio.Notes);
        Assert.Equal("plaintext", _attio.RequestsTo(AttioEndpoints.NotesCreate).Single().Json()!["data"]!["format"]!.GetValue<string>());
        Assert.Equal(person, stored["parent_record_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateNoteAsync_UnknownParent_FailsWithNotFound()
    {
        var ex = await Assert.ThrowsAsync<IntegrationException>(() =>
            Attio.CreateNoteAsync(new AttioNoteDraft(new AttioRecordReference("people", Guid.NewGuid().ToString()), "t", "c"), Timeouts.Test));
        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task CreateTaskAsync_LinkedAndAssignedByEmail_IsCreated()
    {
        var person = _attio.AddRecord("people", Json("""{"name": "Sarah Müller"}"""));
        var deadline = new DateTimeOffset(2026, 12, 1, 17, 0, 0, TimeSpan.FromHours(1));

        var task = await Attio.CreateTaskAsync(new AttioTaskDraft
        {
            Content = "Send the signed contract to Sarah",
            DeadlineAt = deadline,
            LinkedRecords = [new AttioRecordReference("people", person)],
            Assignees = ["owner@company.com"],
        }, Timeouts.Test);

        Assert.False(string.IsNullOrEmpty(task.Id));
        Assert.Equal("Send the signed contract to Sarah", task.Content);
        Assert.Equal(deadline, task.DeadlineAt);
        Assert.False(task.IsCompleted);
        Assert.Equal(person, Assert.Single(task.LinkedRecords).RecordId);
        var data = _attio.RequestsTo(AttioEndpoints.TasksCreate).Single().Json()!["data"]!;
        Assert.Equal("2026-12-01T16:00:00.000Z", data["deadline_at"]!.GetValue<string>());
        Assert.Equal("owner@company.com", data["assignees"]![0]!["workspace_member_email_address"]!.GetValue<string>());
        Assert.Equal(_attio.WorkspaceMemberId("owner@company.com"), _attio.Tasks.Single()["assignees"]![0]!["referenced_actor_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateTaskAsync_AssigneeById_AndNoDeadline_IsCreated()
    {
        var memberId = _attio.AddWorkspaceMember("bob@company.com");

        var task = await Attio.CreateTaskAsync(new AttioTaskDraft { Content = "Review pipeline", Assignees = [memberId] }, Timeouts.Test);

        Assert.Null(task.DeadlineAt);
        Assert.Empty(task.LinkedRecords);
        Assert.Equal(memberId, _attio.Tasks.Single()["assignees"]![0]!["referenced_actor_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnyCall_RateLimitedUntilADate_IsTransientWithTheWait()
    {
        _attio.RateLimitNextUntil(1, DateTimeOffset.UtcNow.AddSeconds(30));

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Attio.QueryRecordsAsync("people", cancellationToken: Timeouts.Test));

        Assert.True(ex.IsTransient);
        Assert.Equal("rate_limit_exceeded", ex.ErrorCode);
        Assert.InRange(ex.RetryAfter!.Value.TotalSeconds, 20, 31);
    }

    [Fact]
    public async Task AnyCall_ServerErrorThenSuccess_FirstIsTransientSecondWorks()
    {
        _attio.FailNext(1, 502, "Bad gateway.");

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Attio.QueryRecordsAsync("people", cancellationToken: Timeouts.Test));
        var records = await Attio.QueryRecordsAsync("people", cancellationToken: Timeouts.Test);

        Assert.True(ex.IsTransient);
        Assert.Empty(records);
        Assert.Equal(2, _attio.CallCount(AttioEndpoints.RecordsQuery));
        Assert.Equal(502, _attio.Requests[0].InjectedStatus);
    }

    [Fact]
    public async Task AnyCall_RevokedKey_IsUnauthorizedWithoutTheKeyInTheError()
    {
        var key = _attio.ApiKey;
        _attio.ApiKey = "rotated";

        var ex = await Assert.ThrowsAsync<IntegrationException>(() => Attio.QueryRecordsAsync("people", cancellationToken: Timeouts.Test));

        Assert.True(ex.IsUnauthorized);
        Assert.DoesNotContain(key, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_host.Logs.Lines, l => l.Contains(key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Client_WithoutKey_SaysToSetAttioApiKey()
    {
        await using var host = new ClientHost([new("Attio:BaseUrl", _attio.Url), new("ATTIO_API_KEY", "  ")]);
        var client = host.Get<IAttioClient>();

        Assert.False(client.IsConfigured);
        var ex = await Assert.ThrowsAsync<ToolNotConfiguredException>(() => client.GetRecordAsync("people", "x", Timeouts.Test));
        Assert.Equal("Attio is not configured: set ATTIO_API_KEY", ex.Message);
    }

    private static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();
}
